#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "gateway/api/http_message.h"

namespace edgegw {
struct ApiOptions;
}  // namespace edgegw

namespace edgegw::api {

/// Who may call a route. `open` routes (liveness and readiness probes) never ask for a token;
/// `read` routes ask only when reads are protected; `mutate` routes ask whenever a token is set.
enum class Access { open, read, mutate };

/// The API's bearer-token policy.
struct ApiAuth {
  /// Nothing: authentication is off and every route is served to anyone who can connect
  /// (the gateway warns at start). Set: mutating routes need `Authorization: Bearer <token>`.
  std::optional<std::string> token;
  /// Reads need the token too. Without a token configured, reads are then refused (403).
  bool require_auth_for_reads = false;
};

/// The policy configured by [api]: the token is read once from token_file, which must be a
/// 0600/0400 regular file and must not be empty. Throws SecretFileError otherwise.
ApiAuth load_api_auth(const ApiOptions& options);

/// Compares in time that depends only on the lengths, never on where the first difference
/// is, so a client cannot find the token byte by byte by timing answers.
bool constant_time_equals(std::string_view a, std::string_view b);

/// The 401/403 answer that `request` earns on a route of `access`, or nothing if it may pass.
std::optional<HttpResponse> check_access(const HttpRequest& request, Access access,
                                         const ApiAuth& auth);

}  // namespace edgegw::api
