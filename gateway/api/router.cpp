#include "gateway/api/router.h"

#include <spdlog/spdlog.h>

#include <exception>
#include <memory>
#include <utility>

namespace edgegw::api {

void Router::add(std::string method, std::string path, Handler handler) {
  routes_[std::move(path)][std::move(method)] = std::move(handler);
}

void Router::add_sync(std::string method, std::string path, SyncHandler handler) {
  add(std::move(method), std::move(path),
      [handler = std::move(handler)](const HttpRequest& request, Reply reply) {
        reply(handler(request));
      });
}

std::string Router::allowed_methods(std::string_view path) const {
  auto route = routes_.find(path);
  if (route == routes_.end()) return {};
  std::string allow;
  auto append = [&allow](std::string_view method) {
    if (!allow.empty()) allow += ", ";
    allow += method;
  };
  for (const auto& [method, handler] : route->second) append(method);
  if (route->second.contains("GET") && !route->second.contains("HEAD")) append("HEAD");
  return allow;
}

void Router::dispatch(const HttpRequest& request, Reply reply) const {
  auto route = routes_.find(request.path());
  if (route == routes_.end()) {
    reply(json_error(404, "not_found", "no such resource: " + std::string(request.path())));
    return;
  }
  const auto& methods = route->second;
  auto handler = methods.find(request.method);
  if (handler == methods.end() && request.method == "HEAD") handler = methods.find("GET");
  if (handler == methods.end()) {
    auto response = json_error(405, "method_not_allowed",
                               request.method + " is not allowed on " + route->first);
    response.headers.emplace_back("Allow", allowed_methods(route->first));
    reply(std::move(response));
    return;
  }
  // A handler that threw may or may not have replied already; the session ignores a second
  // reply, so answering 500 here is always safe.
  try {
    handler->second(request, reply);
  } catch (const std::exception& e) {
    spdlog::warn("api: {} {} failed: {}", request.method, route->first, e.what());
    reply(json_error(500, "internal_error", "the request could not be handled"));
  }
}

}  // namespace edgegw::api
