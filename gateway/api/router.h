#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "gateway/api/http_message.h"

namespace edgegw::api {

/// Maps method + exact path to a handler. Unknown paths answer 404, a known path with another
/// method 405 with Allow; HEAD is served by a path's GET handler (the session drops the body).
class Router {
 public:
  /// Answers through `reply`, possibly later and from another thread. The request lives only
  /// for the call; copy what an answer given later needs.
  using Handler = std::function<void(const HttpRequest&, Reply)>;
  /// Answers at once.
  using SyncHandler = std::function<HttpResponse(const HttpRequest&)>;

  void add(std::string method, std::string path, Handler handler);
  void add_sync(std::string method, std::string path, SyncHandler handler);

  /// Runs the matching handler, or replies with the routing error. A handler that throws
  /// answers 500.
  void dispatch(const HttpRequest& request, Reply reply) const;

  /// The Allow header value for `path` ("GET, HEAD"), empty for an unknown path.
  std::string allowed_methods(std::string_view path) const;

 private:
  // path → method → handler; std::less<> so string_view lookups need no copy.
  std::map<std::string, std::map<std::string, Handler>, std::less<>> routes_;
};

}  // namespace edgegw::api
