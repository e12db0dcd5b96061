#include "adapters/hx711/hx711_options.h"

#include <cmath>

#include "adapters/adapter_name.h"

namespace edgegw {

const OptionTable<Hx711Options>& hx711_option_table() {
  static const OptionTable<Hx711Options> table = {
      {.key = "name",
       .member = &Hx711Options::name,
       .description = "Adapter name, unique among adapters; the series are \"<name>.weight_g\" "
                      "(and \"<name>.raw_counts\" with emit_raw). Letters, digits, '_', '-' and "
                      "'.'.",
       .required = true},
      {.key = "chip",
       .member = &Hx711Options::chip,
       .description = "The GPIO chip both lines are on, as libgpiod finds it: \"gpiochip0\", "
                      "\"/dev/gpiochip0\", its number or its label (`gpiodetect` lists them)."},
      {.key = "dout_line",
       .member = &Hx711Options::dout_line,
       .description = "Offset on the chip of the line wired to the HX711's DOUT (on a "
                      "Raspberry Pi the BCM GPIO number).",
       .min = 0,
       .max = 65535,
       .required = true},
      {.key = "sck_line",
       .member = &Hx711Options::sck_line,
       .description = "Offset of the line wired to PD_SCK.",
       .min = 0,
       .max = 65535,
       .required = true},
      {.key = "gain",
       .member = &Hx711Options::gain,
       .description = "Channel and gain: \"A128\" channel A at 128 (a load cell's usual "
                      "choice), \"A64\" channel A at 64, \"B32\" channel B at 32.",
       .choices = "A128 A64 B32"},
      {.key = "data_rate_sps",
       .member = &Hx711Options::data_rate_sps,
       .description = "Conversions per second the board makes, set by its RATE pin: 10 (RATE "
                      "low, most boards) or 80.",
       .min = 10,
       .max = 80},
      {.key = "rate_hz",
       .member = &Hx711Options::rate_hz,
       .description = "Weight readings per second. rate_hz x samples must not exceed "
                      "data_rate_sps.",
       .min = 0.001,
       .max = 80},
      {.key = "samples",
       .member = &Hx711Options::samples,
       .description = "Each reading is the median of this many conversions, so one spike (a "
                      "knock, a bad frame) does not reach the rules.",
       .min = 1,
       .max = 99},
      {.key = "offset",
       .member = &Hx711Options::offset,
       .description = "Raw count with nothing on the scale (tare): grams = (raw - offset) / "
                      "scale."},
      {.key = "scale",
       .member = &Hx711Options::scale,
       .description = "Counts per gram (calibration with a known weight); not 0. Negative "
                      "when the cell is mounted the other way up."},
      {.key = "timeout_ms",
       .member = &Hx711Options::timeout_ms,
       .description = "How long to wait for DOUT to go low (data ready) before the read counts "
                      "as failed: a conversion takes 100 ms at 10 sps, 400 ms after power-up.",
       .min = 1,
       .max = 10000},
      {.key = "emit_raw",
       .member = &Hx711Options::emit_raw,
       .description = "Also send the median raw count as \"<name>.raw_counts\" (for "
                      "calibrating)."},
      {.key = "resolution_g",
       .member = &Hx711Options::resolution_g,
       .description = "Smallest step of weight_g worth keeping; 0 packs values losslessly.",
       .min = 0},
  };
  return table;
}

OptionErrors parse_hx711_options(const std::map<std::string, OptionValue>& values,
                                 Hx711Options& out) {
  OptionErrors errors = fill_options(out, hx711_option_table(), values);
  if (auto problem = series_name_problem(out.name); problem && !out.name.empty()) {
    errors.emplace_back("name", *problem);
  }
  if (out.data_rate_sps != 10 && out.data_rate_sps != 80) {
    errors.emplace_back("data_rate_sps",
                        "is " + std::to_string(out.data_rate_sps) + ", must be 10 or 80");
  }
  if (out.scale == 0.0) errors.emplace_back("scale", "must not be 0 (counts per gram)");
  if (values.contains("dout_line") && values.contains("sck_line") &&
      out.dout_line == out.sck_line) {
    errors.emplace_back("sck_line", "is the same line as dout_line");
  }
  if (out.rate_hz * static_cast<double>(out.samples) > static_cast<double>(out.data_rate_sps)) {
    errors.emplace_back("samples",
                        "rate_hz x samples is more conversions per second than "
                        "data_rate_sps = " +
                            std::to_string(out.data_rate_sps) + " gives");
  }
  return errors;
}

hx711::Gain parse_gain(const std::string& gain) {
  if (gain == "A64") return hx711::Gain::a64;
  if (gain == "B32") return hx711::Gain::b32;
  return hx711::Gain::a128;
}

}  // namespace edgegw
