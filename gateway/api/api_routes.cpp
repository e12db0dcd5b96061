#include "gateway/api/api_routes.h"

#include <string>

#include "gateway/api/dashboard.h"
#include "gateway/api/metrics.h"
#include "gateway/api/readings_handler.h"
#include "gateway/api/resource_handlers.h"

namespace edgegw::api {

HttpResponse handle_healthz(const HttpRequest&) {
  return json_response(200, R"({"status":"ok"})");
}

HttpResponse handle_metrics(const GatewayStatus& status,
                            const std::vector<RequestCounter::Count>& requests,
                            const ProcessStats& process) {
  return {.status = 200,
          .content_type = std::string(kMetricsContentType),
          .body = render_metrics(status, requests, process),
          .headers = {}};
}

Router make_api_router(ApiBackend& backend, ApiRouterOptions options) {
  Router router;
  router.set_auth(std::move(options.auth));
  add_dashboard_routes(router);
  // Probes (systemd, Docker, Kubernetes) carry no credentials, so both stay open.
  router.add_sync("GET", "/healthz", handle_healthz, Access::open);
  router.add_sync(
      "GET", "/readyz",
      [&backend, mqtt = options.uplink_is_mqtt](const HttpRequest&) {
        return handle_readyz(backend.status(), mqtt);
      },
      Access::open);
  router.add_sync(
      "GET", "/metrics", [&backend, requests = router.request_counter()](const HttpRequest&) {
        // Read here, not in status(): the kernel takes microseconds to answer, and
        // /api/v1/status is asked far more often than /metrics.
        return handle_metrics(backend.status(), requests->snapshot(), read_process_stats());
      });
  router.add("POST", "/api/v1/readings", [&backend](const HttpRequest& request, Reply reply) {
    handle_post_readings(request, backend, std::move(reply));
  });
  router.add_sync("GET", "/api/v1/status",
                  [&backend](const HttpRequest&) { return handle_status(backend.status()); });
  router.add_sync("GET", "/api/v1/cost",
                  [&backend](const HttpRequest&) { return handle_cost(backend.status()); });
  router.add_sync("GET", "/api/v1/sensors",
                  [&backend](const HttpRequest&) { return handle_sensors(backend); });
  router.add_sync("GET", "/api/v1/sensors/{series}", [&backend](const HttpRequest& request) {
    return handle_sensor_history(request, backend);
  });
  router.add_sync("GET", "/api/v1/alarms", [&backend](const HttpRequest& request) {
    return handle_alarms(request, backend);
  });
  router.add_sync("POST", "/api/v1/alarms/{id}/ack", [&backend](const HttpRequest& request) {
    return handle_ack_alarm(request, backend);
  });
  router.add_sync("POST", "/api/v1/flush",
                  [&backend](const HttpRequest&) { return handle_flush(backend); });
  router.add_sync("PUT", "/api/v1/armed", [&backend](const HttpRequest& request) {
    return handle_put_armed(request, backend);
  });
  router.add("POST", "/api/v1/adapters/{name}/tare",
             [&backend](const HttpRequest& request, Reply reply) {
               handle_tare(request, backend, std::move(reply));
             });
  router.add("POST", "/api/v1/adapters/{name}/calibrate",
             [&backend](const HttpRequest& request, Reply reply) {
               handle_calibrate(request, backend, std::move(reply));
             });
  router.add_sync("GET", "/api/v1/config",
                  [&backend](const HttpRequest&) { return handle_config(backend); });
  return router;
}

}  // namespace edgegw::api
