#pragma once
// For targets compiled with EDGEGW_SOURCE_DIR.

#include <vector>

#include "gateway/config/config.h"

namespace edgegw {

/// The rules deploy/config/demo.toml ships (chocolate theft; crane overload, wind, stale), so
/// a test of alarms also tests the demo's own rules.
inline std::vector<rules::RuleOptions> demo_rules() {
  return load_config_file(EDGEGW_SOURCE_DIR "/deploy/config/demo.toml").rules;
}

/// The demo's two simulated sites with their rules, a theft every second so an alarm comes soon:
/// every panel and metric family then has something to show.
inline void add_demo_sites(GatewayConfig& config) {
  config.adapters.push_back(
      {.type = "simulator", .name = "crane", .values = {{"profile", std::string("crane")}}});
  config.adapters.push_back(
      {.type = "simulator",
       .name = "chocolate",
       .values = {{"profile", std::string("chocolate")}, {"theft_interval_s", 1.0}}});
  config.rules = demo_rules();
}

}  // namespace edgegw
