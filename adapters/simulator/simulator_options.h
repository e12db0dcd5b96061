#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "gateway/model/option_table.h"

namespace edgegw {

/// Configuration of one `[[adapters]] type = "simulator"` table. Defaults are the member
/// initialisers; `simulator_option_table()` documents every key.
struct SimulatorOptions {
  std::string name;  ///< empty: the profile's name
  std::string profile;
  std::int64_t seed = 1;
  double rate_scale = 1.0;
  double jitter_ms = 3.0;
  double theft_interval_s = 3600.0;
  double eat_interval_s = 900.0;
  double refill_after_s = 600.0;
  double motion_heartbeat_s = 60.0;
  double wind_mean_ms = 6.0;
  std::int64_t batch_max = 1000;
  std::int64_t poll_interval_ms = 1000;
};

/// Config errors as {key, message}, the shape `fill_options` returns.
using OptionErrors = std::vector<std::pair<std::string, std::string>>;

/// The simulator's config keys: the parser's table and the user-facing reference at once.
const OptionTable<SimulatorOptions>& simulator_option_table();

/// Fills `out` from config values (without the loader's `type` key) and checks what the table
/// cannot express. On success `out.name` is resolved (defaults to the profile).
OptionErrors parse_simulator_options(const std::map<std::string, OptionValue>& values,
                                     SimulatorOptions& out);

}  // namespace edgegw
