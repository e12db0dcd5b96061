#pragma once

#include <cstddef>

#include "gateway/api/api_backend.h"
#include "gateway/api/http_message.h"
#include "gateway/status.h"

namespace edgegw::api {

/// Most points GET /api/v1/sensors/{series} returns, and its default `limit`.
inline constexpr std::size_t kMaxHistoryLimit = 10000;
inline constexpr std::size_t kDefaultHistoryLimit = 1000;

/// GET /readyz: 200 when storage works and, for an MQTT uplink, the broker is connected. A
/// directory uplink (`uplink_is_mqtt` false) has no connection to wait for.
HttpResponse handle_readyz(const GatewayStatus& status, bool uplink_is_mqtt);
/// GET /api/v1/status: the whole snapshot as JSON.
HttpResponse handle_status(const GatewayStatus& status);
/// GET /api/v1/cost: billable units so far, per day and per month, with the estimated cost.
HttpResponse handle_cost(const GatewayStatus& status);
/// GET /api/v1/sensors: the latest reading of every series.
HttpResponse handle_sensors(const ApiBackend& backend);
/// GET /api/v1/sensors/{series}?since=<ts_ms>&limit=<n>: a series' recent readings.
HttpResponse handle_sensor_history(const HttpRequest& request, const ApiBackend& backend);
/// GET /api/v1/alarms?state=open|all: recent alarms, newest first.
HttpResponse handle_alarms(const HttpRequest& request, const ApiBackend& backend);
/// POST /api/v1/alarms/{id}/ack: acknowledges one alarm.
HttpResponse handle_ack_alarm(const HttpRequest& request, ApiBackend& backend);
/// POST /api/v1/flush: sends what is buffered now instead of waiting for max_latency.
HttpResponse handle_flush(ApiBackend& backend);
/// PUT /api/v1/armed with {"armed": true|false}.
HttpResponse handle_put_armed(const HttpRequest& request, ApiBackend& backend);
/// POST /api/v1/adapters/{name}/tare: the load on the scale now reads 0 g from here on.
void handle_tare(const HttpRequest& request, ApiBackend& backend, Reply reply);
/// POST /api/v1/adapters/{name}/calibrate with {"known_grams": <g>}: the weight on the scale
/// now reads as known_grams from here on.
void handle_calibrate(const HttpRequest& request, ApiBackend& backend, Reply reply);
/// GET /api/v1/config: the effective configuration, secrets redacted by the backend.
HttpResponse handle_config(const ApiBackend& backend);

}  // namespace edgegw::api
