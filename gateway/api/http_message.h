#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace edgegw::api {

/// One HTTP request as handlers see it, free of Beast types so handlers compile and test
/// without the networking headers. The session fills it from the wire.
struct HttpRequest {
  std::string method;  ///< as sent, e.g. "GET"
  std::string target;  ///< path and query, e.g. "/metrics?x=1"
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  /// The value of the first header named `name` (case-insensitive), if present.
  std::optional<std::string_view> header(std::string_view name) const;
  /// The target without its query string.
  std::string_view path() const;
};

/// One HTTP response as handlers build it; the session adds framing headers (Content-Length,
/// Connection) when it writes it.
struct HttpResponse {
  int status = 200;
  std::string content_type;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  ///< beyond Content-Type

  /// The value of the first header named `name` (case-insensitive), if present.
  std::optional<std::string_view> header(std::string_view name) const;
};

/// Delivers a handler's response. Call it exactly once, from any thread; the session moves the
/// response onto its own executor before writing.
using Reply = std::function<void(HttpResponse)>;

inline constexpr std::string_view kJsonContentType = "application/json";

/// A JSON body with its content type.
HttpResponse json_response(int status, std::string body);
/// The API's error shape: {"error":{"code":...,"message":...}}.
HttpResponse json_error(int status, std::string_view code, std::string_view message);

/// Whether a Content-Type value names JSON ("application/json", parameters allowed).
bool is_json_content_type(std::string_view content_type);

}  // namespace edgegw::api
