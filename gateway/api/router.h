#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/api/auth.h"
#include "gateway/api/http_message.h"
#include "gateway/api/request_counter.h"

namespace edgegw::api {

/// One registered method + path template, as routes() lists them.
struct RouteInfo {
  std::string method;
  std::string path;  ///< the template, e.g. "/api/v1/sensors/{series}"
  Access access = Access::read;
};

/// Maps method + path to a handler. A path segment written "{name}" matches any one non-empty
/// segment and reaches the handler URL-decoded as request.path_param("name"); literal paths win
/// over templates. Unknown paths answer 404, a known path with another method 405 with Allow;
/// HEAD is served by a path's GET handler (the session drops the body). Before a handler runs,
/// the route's Access is checked against the router's ApiAuth (401/403).
class Router {
 public:
  /// Answers through `reply`, possibly later and from another thread. The request lives only
  /// for the call; copy what an answer given later needs.
  using Handler = std::function<void(const HttpRequest&, Reply)>;
  /// Answers at once.
  using SyncHandler = std::function<HttpResponse(const HttpRequest&)>;

  /// `access` defaults to read for GET and mutate for every other method.
  void add(std::string method, std::string path, Handler handler,
           std::optional<Access> access = std::nullopt);
  void add_sync(std::string method, std::string path, SyncHandler handler,
                std::optional<Access> access = std::nullopt);

  /// The token policy checked before every handler; without a call, authentication is off.
  void set_auth(ApiAuth auth) { auth_ = std::move(auth); }

  /// Runs the matching handler, or replies with the routing or access error. A handler that
  /// throws answers 500. Returns the template of the route that
  /// matched, valid as long as the router, or an empty view for an unknown path.
  std::string_view dispatch(const HttpRequest& request, Reply reply) const;

  /// Where the server counts the responses it sends; shared with whoever reports them.
  const std::shared_ptr<RequestCounter>& request_counter() const { return requests_; }

  /// The Allow header value for `path` ("GET, HEAD"), empty for an unknown path.
  std::string allowed_methods(std::string_view path) const;

  /// Every registered method and path template, in path order (HEAD is implied by GET).
  std::vector<RouteInfo> routes() const;

 private:
  struct Endpoint {
    Handler handler;
    Access access = Access::read;
  };
  struct Route {
    std::string pattern;
    std::vector<std::string> segments;  ///< of the pattern, split at '/'
    std::map<std::string, Endpoint> methods;
  };
  struct Match {
    const Route* route = nullptr;
    std::vector<std::pair<std::string, std::string>> params;
    bool bad_escape = false;
  };

  Match match(std::string_view path) const;

  // pattern → route; std::less<> so a literal path looks up without a copy.
  std::map<std::string, Route, std::less<>> routes_;
  ApiAuth auth_;
  std::shared_ptr<RequestCounter> requests_ = std::make_shared<RequestCounter>();
};

}  // namespace edgegw::api
