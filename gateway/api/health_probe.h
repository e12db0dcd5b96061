#pragma once

#include <chrono>
#include <string>

#include "gateway/api/api_options.h"

namespace edgegw::api {

/// What `GET /healthz` of a gateway's own API answered.
struct HealthProbeResult {
  bool healthy = false;  ///< the API answered 200 within the deadline
  std::string detail;    ///< the status line, or why no answer came
};

/// Asks the local API configured by `options` for /healthz, as a container's HEALTHCHECK or a
/// supervisor would: over HTTPS when [api.tls] is set, at loopback when the API listens on
/// every interface. The whole exchange gets `deadline`.
HealthProbeResult probe_health(const ApiOptions& options, std::chrono::milliseconds deadline);

}  // namespace edgegw::api
