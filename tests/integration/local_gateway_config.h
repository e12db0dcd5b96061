#pragma once

#include <string>

#include "gateway/config/config.h"
#include "tests/temp_dir.h"

namespace edgegw {

/// Settings every in-process gateway test wants: the buffer in `dir` (synchronous = normal,
/// for speed), the API on a free loopback port, partly filled bundles closed after a second.
inline void use_local_test_settings(GatewayConfig& config, const TempDir& dir) {
  config.storage.path = dir.file("buffer.db");
  config.storage.synchronous = "normal";
  config.api.listen = "127.0.0.1:0";
  config.bundle.max_latency_s = 1;
}

/// A gateway that writes its bundles to `dir`/outbox instead of a broker.
inline GatewayConfig directory_uplink_config(const TempDir& dir, const std::string& gateway_id) {
  GatewayConfig config;
  config.gateway.gateway_id = gateway_id;
  config.uplink.directory = dir.file("outbox");
  use_local_test_settings(config, dir);
  return config;
}

}  // namespace edgegw
