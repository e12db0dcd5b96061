#include "adapters/pir/pir_options.h"

#include "adapters/adapter_name.h"

namespace edgegw {

const OptionTable<PirOptions>& pir_option_table() {
  static const OptionTable<PirOptions> table = {
      {.key = "name",
       .member = &PirOptions::name,
       .description = "Adapter name, unique among adapters; the series is \"<name>.motion\" (1 "
                      "motion, 0 none). Letters, digits, '_', '-' and '.'.",
       .required = true},
      {.key = "chip",
       .member = &PirOptions::chip,
       .description = "The GPIO chip, as libgpiod finds it: \"gpiochip0\", \"/dev/gpiochip0\", "
                      "its number or its label (`gpiodetect` lists them)."},
      {.key = "line",
       .member = &PirOptions::line,
       .description = "Offset on the chip of the line wired to the sensor's output (on a "
                      "Raspberry Pi the BCM GPIO number).",
       .min = 0,
       .max = 65535,
       .required = true},
      {.key = "active_low",
       .member = &PirOptions::active_low,
       .description = "The sensor pulls its output low on motion (open-collector modules)."},
      {.key = "bias",
       .member = &PirOptions::bias,
       .description = "Pull resistor asked of the kernel: \"pull-up\" for an open-collector "
                      "output, \"pull-down\", \"disabled\", or \"as-is\" to leave it.",
       .choices = "as-is pull-up pull-down disabled"},
      {.key = "debounce_ms",
       .member = &PirOptions::debounce_ms,
       .description = "A change counts only once the level has held this long; it is stamped "
                      "with the time of the edge that started it. 0 takes every edge.",
       .min = 0,
       .max = 60000},
      {.key = "heartbeat_s",
       .member = &PirOptions::heartbeat_s,
       .description = "Repeat the unchanged state this often, so a quiet sensor can be told "
                      "from a dead one (and stale rules see it). 0 = only changes.",
       .min = 0,
       .max = 86400},
  };
  return table;
}

OptionErrors parse_pir_options(const std::map<std::string, OptionValue>& values, PirOptions& out) {
  OptionErrors errors = fill_options(out, pir_option_table(), values);
  if (auto problem = series_name_problem(out.name); problem && !out.name.empty()) {
    errors.emplace_back("name", *problem);
  }
  if (out.heartbeat_s > 0 && out.heartbeat_s < 0.001) {
    errors.emplace_back("heartbeat_s", "must be 0 (off) or at least 0.001");
  }
  return errors;
}

gpio::Bias parse_bias(const std::string& bias) {
  if (bias == "pull-up") return gpio::Bias::pull_up;
  if (bias == "pull-down") return gpio::Bias::pull_down;
  if (bias == "disabled") return gpio::Bias::disabled;
  return gpio::Bias::as_is;
}

}  // namespace edgegw
