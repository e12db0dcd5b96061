#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "adapters/hx711/hx711_driver.h"
#include "gateway/model/option_table.h"

namespace edgegw {

/// Config errors as {key, message}, the shape `fill_options` returns.
using OptionErrors = std::vector<std::pair<std::string, std::string>>;

/// Configuration of one `[[adapters]] type = "hx711"` table. Defaults are the member
/// initialisers; `hx711_option_table()` documents every key.
struct Hx711Options {
  std::string name;
  std::string chip = "gpiochip0";
  std::int64_t dout_line = 0;
  std::int64_t sck_line = 0;
  std::string gain = "A128";
  std::int64_t data_rate_sps = 10;
  double rate_hz = 1.0;
  std::int64_t samples = 5;
  double offset = 0.0;
  double scale = 1.0;
  std::int64_t timeout_ms = 500;
  bool emit_raw = false;
  double resolution_g = 0.1;
};

const OptionTable<Hx711Options>& hx711_option_table();

/// Fills `out` from config values and checks what the table cannot express (a zero scale, more
/// samples per second than the part converts).
OptionErrors parse_hx711_options(const std::map<std::string, OptionValue>& values,
                                 Hx711Options& out);

/// The gain key as the driver's enum; `gain` must have passed the table's choices.
hx711::Gain parse_gain(const std::string& gain);

}  // namespace edgegw
