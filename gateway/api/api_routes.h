#pragma once

#include <vector>

#include "gateway/api/api_backend.h"
#include "gateway/api/auth.h"
#include "gateway/api/http_message.h"
#include "gateway/api/router.h"
#include "gateway/process_stats.h"
#include "gateway/status.h"

namespace edgegw::api {

/// GET /healthz: 200 while the process can answer at all.
HttpResponse handle_healthz(const HttpRequest& request);
/// GET /metrics: the status snapshot, the responses counted so far and the process figures in
/// the Prometheus text format.
HttpResponse handle_metrics(const GatewayStatus& status,
                            const std::vector<RequestCounter::Count>& requests,
                            const ProcessStats& process);

/// How the API routes behave beyond what the backend answers.
struct ApiRouterOptions {
  ApiAuth auth;  ///< default: no token, authentication off
  /// /readyz waits for the broker connection; false for a directory uplink.
  bool uplink_is_mqtt = true;
};

/// Every route of the API, served from `backend`, which must outlive the router.
Router make_api_router(ApiBackend& backend, ApiRouterOptions options = {});

}  // namespace edgegw::api
