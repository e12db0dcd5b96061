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

}  // namespace edgegw
