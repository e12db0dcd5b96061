#pragma once

#include "gateway/api/api_backend.h"
#include "gateway/api/http_message.h"
#include "gateway/api/router.h"
#include "gateway/status.h"

namespace edgegw::api {

/// GET /healthz: 200 while the process can answer at all.
HttpResponse handle_healthz(const HttpRequest& request);
/// GET /metrics: the status snapshot in the Prometheus text format.
HttpResponse handle_metrics(const GatewayStatus& status);

/// Every route of the API, served from `backend`, which must outlive the router.
Router make_api_router(ApiBackend& backend);

}  // namespace edgegw::api
