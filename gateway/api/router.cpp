#include "gateway/api/router.h"

#include <spdlog/spdlog.h>

#include <exception>
#include <memory>
#include <utility>

#include "gateway/api/api_backend.h"

namespace edgegw::api {
namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> segments;
  std::size_t start = 0;
  while (start <= path.size()) {
    const auto slash = path.find('/', start);
    const auto end = slash == std::string_view::npos ? path.size() : slash;
    segments.push_back(path.substr(start, end - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return segments;
}

bool is_parameter(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

}  // namespace

void Router::add(std::string method, std::string path, Handler handler,
                 std::optional<Access> access) {
  const Access resolved = access.value_or(method == "GET" ? Access::read : Access::mutate);
  auto& route = routes_[path];
  if (route.pattern.empty()) {
    route.pattern = path;
    for (auto segment : split_path(path)) route.segments.emplace_back(segment);
  }
  route.methods[std::move(method)] = Endpoint{.handler = std::move(handler), .access = resolved};
}

void Router::add_sync(std::string method, std::string path, SyncHandler handler,
                      std::optional<Access> access) {
  add(
      std::move(method), std::move(path),
      [handler = std::move(handler)](const HttpRequest& request, Reply reply) {
        reply(handler(request));
      },
      access);
}

Router::Match Router::match(std::string_view path) const {
  if (auto exact = routes_.find(path); exact != routes_.end())
    return {.route = &exact->second, .params = {}, .bad_escape = false};
  const auto segments = split_path(path);
  for (const auto& [pattern, route] : routes_) {
    if (route.segments.size() != segments.size()) continue;
    Match candidate{.route = &route, .params = {}, .bad_escape = false};
    bool matches = true;
    for (std::size_t i = 0; i < segments.size() && matches; ++i) {
      const auto& expected = route.segments[i];
      if (!is_parameter(expected)) {
        matches = expected == segments[i];
        continue;
      }
      if (segments[i].empty()) {
        matches = false;
        continue;
      }
      auto decoded = url_decode(segments[i], /*plus_is_space=*/false);
      if (!decoded) {
        candidate.bad_escape = true;
        continue;
      }
      candidate.params.emplace_back(expected.substr(1, expected.size() - 2), std::move(*decoded));
    }
    if (matches) return candidate;
  }
  return {};
}

std::string Router::allowed_methods(std::string_view path) const {
  const auto found = match(path);
  if (!found.route) return {};
  std::string allow;
  auto append = [&allow](std::string_view method) {
    if (!allow.empty()) allow += ", ";
    allow += method;
  };
  const auto& methods = found.route->methods;
  for (const auto& [method, endpoint] : methods) append(method);
  if (methods.contains("GET") && !methods.contains("HEAD")) append("HEAD");
  return allow;
}

std::vector<RouteInfo> Router::routes() const {
  std::vector<RouteInfo> list;
  for (const auto& [pattern, route] : routes_) {
    for (const auto& [method, endpoint] : route.methods) {
      list.push_back({.method = method, .path = pattern, .access = endpoint.access});
    }
  }
  return list;
}

std::string_view Router::dispatch(const HttpRequest& request, Reply reply) const {
  auto found = match(request.path());
  if (!found.route) {
    reply(json_error(404, "not_found", "no such resource: " + std::string(request.path())));
    return {};
  }
  const auto& route = *found.route;
  const auto& methods = route.methods;
  auto endpoint = methods.find(request.method);
  if (endpoint == methods.end() && request.method == "HEAD") endpoint = methods.find("GET");
  if (endpoint == methods.end()) {
    auto response = json_error(405, "method_not_allowed",
                               request.method + " is not allowed on " + route.pattern);
    response.headers.emplace_back("Allow", allowed_methods(request.path()));
    reply(std::move(response));
    return route.pattern;
  }
  if (auto refused = check_access(request, endpoint->second.access, auth_)) {
    reply(std::move(*refused));
    return route.pattern;
  }
  if (found.bad_escape) {
    reply(json_error(400, "invalid_path", "the path has a malformed %-escape"));
    return route.pattern;
  }
  // A handler that threw may or may not have replied already; the session ignores a second
  // reply, so answering 500 here is always safe.
  try {
    if (found.params.empty()) {
      endpoint->second.handler(request, reply);
    } else {
      HttpRequest with_params = request;
      with_params.path_params = std::move(found.params);
      endpoint->second.handler(with_params, reply);
    }
  } catch (const std::exception& e) {
    spdlog::warn("api: {} {} failed: {}", request.method, route.pattern, e.what());
    reply(json_error(500, "internal_error", "the request could not be handled"));
  }
  return route.pattern;
}

}  // namespace edgegw::api
