#include "gateway/api/auth.h"

#include <algorithm>
#include <cctype>
#include <cstddef>

#include "gateway/config/config.h"
#include "gateway/uplink/secret_file.h"

namespace edgegw::api {
namespace {

HttpResponse unauthorized(std::string_view message) {
  auto response = json_error(401, "unauthorized", message);
  // RFC 6750: a 401 names the scheme the client should use.
  response.headers.emplace_back("WWW-Authenticate", R"(Bearer realm="edgegw")");
  return response;
}

bool starts_with_bearer(std::string_view value) {
  constexpr std::string_view kScheme = "bearer ";
  if (value.size() < kScheme.size()) return false;
  // The scheme name is case-insensitive (RFC 9110, 11.1).
  return std::equal(kScheme.begin(), kScheme.end(), value.begin(), [](char x, char y) {
    return x == std::tolower(static_cast<unsigned char>(y));
  });
}

}  // namespace

ApiAuth load_api_auth(const ApiOptions& options) {
  ApiAuth auth{.token = std::nullopt, .require_auth_for_reads = options.require_auth_for_reads};
  if (options.token_file.empty()) return auth;
  auto token = read_secret_file(options.token_file, "api.token_file");
  if (token.empty()) {
    // An empty token would make "Authorization: Bearer " a valid credential.
    throw SecretFileError("api.token_file " + options.token_file +
                          " is empty; put the bearer token in it");
  }
  auth.token = std::move(token);
  return auth;
}

bool constant_time_equals(std::string_view a, std::string_view b) {
  // The loop runs over the presented value whatever it holds; the length difference is folded
  // into the result instead of returning early. Only the length can leak, which is harmless
  // for a random token.
  std::size_t diff = a.size() ^ b.size();
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto expected = b.empty() ? 0 : static_cast<unsigned char>(b[i % b.size()]);
    diff |= static_cast<unsigned char>(a[i]) ^ expected;
  }
  return diff == 0;
}

std::optional<HttpResponse> check_access(const HttpRequest& request, Access access,
                                         const ApiAuth& auth) {
  if (access == Access::open) return std::nullopt;
  if (access == Access::read && !auth.require_auth_for_reads) return std::nullopt;
  if (!auth.token) {
    if (access == Access::mutate) return std::nullopt;  // authentication switched off
    return json_error(403, "no_token_configured",
                      "api.require_auth_for_reads is set but api.token_file is not; set "
                      "api.token_file to a file holding the bearer token");
  }
  const auto header = request.header("Authorization");
  if (!header) return unauthorized("this endpoint needs an Authorization: Bearer <token> header");
  if (!starts_with_bearer(*header)) {
    return unauthorized("the Authorization header must be \"Bearer <token>\"");
  }
  auto presented = header->substr(7);
  while (!presented.empty() && (presented.front() == ' ' || presented.front() == '\t')) {
    presented.remove_prefix(1);
  }
  while (!presented.empty() && (presented.back() == ' ' || presented.back() == '\t')) {
    presented.remove_suffix(1);
  }
  if (presented.empty()) return unauthorized("the Authorization header carries no token");
  if (!constant_time_equals(presented, *auth.token)) {
    return json_error(403, "invalid_token", "the bearer token is not the one configured");
  }
  return std::nullopt;
}

}  // namespace edgegw::api
