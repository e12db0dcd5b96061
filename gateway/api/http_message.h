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
  /// Filled by the router from a templated route: "{series}" → its URL-decoded segment.
  std::vector<std::pair<std::string, std::string>> path_params;

  /// The value of the first header named `name` (case-insensitive), if present.
  std::optional<std::string_view> header(std::string_view name) const;
  /// The target without its query string.
  std::string_view path() const;
  /// The path parameter `name`, if the route has one.
  std::optional<std::string_view> path_param(std::string_view name) const;
  /// The first query parameter `name`, URL-decoded ('+' is a space). Nothing when absent; a
  /// present parameter with a broken %-escape yields an empty optional inside, so callers can
  /// answer 400 rather than pretend it was not sent.
  std::optional<std::optional<std::string>> query_param(std::string_view name) const;
};

/// Decodes %XX escapes (and '+' as a space when `plus_is_space`); nothing for a malformed
/// escape or one that decodes to NUL.
std::optional<std::string> url_decode(std::string_view text, bool plus_is_space);

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
