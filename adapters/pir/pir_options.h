#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "adapters/gpio/gpio_line.h"
#include "gateway/model/option_table.h"

namespace edgegw {

/// Config errors as {key, message}, the shape `fill_options` returns.
using OptionErrors = std::vector<std::pair<std::string, std::string>>;

/// Configuration of one `[[adapters]] type = "gpio_pir"` table. Defaults are the member
/// initialisers; `pir_option_table()` documents every key.
struct PirOptions {
  std::string name;
  std::string chip = "gpiochip0";
  std::int64_t line = 0;
  bool active_low = false;
  std::string bias = "as-is";
  std::int64_t debounce_ms = 50;
  double heartbeat_s = 60.0;
};

const OptionTable<PirOptions>& pir_option_table();

OptionErrors parse_pir_options(const std::map<std::string, OptionValue>& values, PirOptions& out);

/// The bias key as the GPIO layer's enum; `bias` must have passed the table's choices.
gpio::Bias parse_bias(const std::string& bias);

}  // namespace edgegw
