#include "gateway/api/api_routes.h"

#include <string>

#include "gateway/api/metrics.h"
#include "gateway/api/readings_handler.h"

namespace edgegw::api {

HttpResponse handle_healthz(const HttpRequest&) {
  return json_response(200, R"({"status":"ok"})");
}

HttpResponse handle_metrics(const GatewayStatus& status) {
  return {.status = 200,
          .content_type = std::string(kMetricsContentType),
          .body = render_metrics(status),
          .headers = {}};
}

Router make_api_router(ApiBackend& backend) {
  Router router;
  router.add_sync("GET", "/healthz", handle_healthz);
  router.add_sync("GET", "/metrics",
                  [&backend](const HttpRequest&) { return handle_metrics(backend.status()); });
  router.add("POST", "/api/v1/readings", [&backend](const HttpRequest& request, Reply reply) {
    handle_post_readings(request, backend, std::move(reply));
  });
  return router;
}

}  // namespace edgegw::api
