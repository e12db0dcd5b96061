#include "adapters/simulator/simulator_options.h"

namespace edgegw {

const OptionTable<SimulatorOptions>& simulator_option_table() {
  static const OptionTable<SimulatorOptions> table = {
      {.key = "name",
       .member = &SimulatorOptions::name,
       .description = "Adapter name, unique among adapters; also the prefix of every series it "
                      "produces (\"<name>.<channel>\", e.g. \"crane.load_kg\"). Letters, digits, "
                      "'_', '-' and '.'. Default: the profile name."},
      {.key = "profile",
       .member = &SimulatorOptions::profile,
       .description = "What to simulate. \"chocolate\": load cell <name>.load_g (g, 0.1 g, 10 Hz) "
                      "under a ~500 g box plus PIR <name>.motion (0/1, sent on change and as a "
                      "heartbeat). \"crane\": <name>.load_kg, boom_angle_deg, radius_m, "
                      "hoist_height_m, wind_speed_ms, slew_angle_deg, hydraulic_bar, motor_temp_c "
                      "(1-10 Hz) driven by lift cycles.",
       .choices = "chocolate crane",
       .required = true},
      {.key = "seed",
       .member = &SimulatorOptions::seed,
       .description = "Random seed; the same seed and options give the same readings.",
       .min = 0},
      {.key = "rate_scale",
       .member = &SimulatorOptions::rate_scale,
       .description = "Multiplies every sample rate (benchmarks: 2500 makes a crane produce "
                      "120,000 readings/s). Only sampling gets faster, not the simulated events.",
       .min = 0.001,
       .max = 100000},
      {.key = "jitter_ms",
       .member = &SimulatorOptions::jitter_ms,
       .description = "Each timestamp lands up to this late after its nominal schedule, as with "
                      "a real sensor (capped at 40% of the sample period).",
       .min = 0,
       .max = 1000},
      {.key = "theft_interval_s",
       .member = &SimulatorOptions::theft_interval_s,
       .description = "chocolate: mean time between thefts (the box is lifted off the load cell, "
                      "the weight drops to near 0 g). 0 = never.",
       .min = 0},
      {.key = "eat_interval_s",
       .member = &SimulatorOptions::eat_interval_s,
       .description = "chocolate: mean time between someone taking a piece (a 5-15 g step). "
                      "0 = never.",
       .min = 0},
      {.key = "refill_after_s",
       .member = &SimulatorOptions::refill_after_s,
       .description = "chocolate: a new ~500 g box appears this long after a theft or after the "
                      "box is nearly empty.",
       .min = 1},
      {.key = "motion_heartbeat_s",
       .member = &SimulatorOptions::motion_heartbeat_s,
       .description = "chocolate: repeat the unchanged motion state this often, so a silent PIR "
                      "is distinguishable from a dead one. 0 = only changes.",
       .min = 0},
      {.key = "wind_mean_ms",
       .member = &SimulatorOptions::wind_mean_ms,
       .description = "crane: mean wind speed in m/s; gusts come on top.",
       .min = 0,
       .max = 60},
      {.key = "batch_max",
       .member = &SimulatorOptions::batch_max,
       .description = "Most readings handed to the pipeline in one offer.",
       .min = 1,
       .max = 1000000},
      {.key = "poll_interval_ms",
       .member = &SimulatorOptions::poll_interval_ms,
       .description = "How often the simulator hands over what it generated since the last "
                      "time; the readings keep their own timestamps. Each read wakes a thread, so "
                      "at low rates this sets much of the CPU used; more often than "
                      "storage.adapter_flush_interval_ms buys little, since the readings wait "
                      "for that commit anyway.",
       .min = 1,
       .max = 60000},
  };
  return table;
}

OptionErrors parse_simulator_options(const std::map<std::string, OptionValue>& values,
                                     SimulatorOptions& out) {
  OptionErrors errors = fill_options(out, simulator_option_table(), values);
  if (out.name.empty()) out.name = out.profile;
  for (char c : out.name) {
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
    if (!allowed) {
      errors.emplace_back(
          "name", "is \"" + out.name + "\", may only contain letters, digits, '_', '-' and '.'");
      break;
    }
  }
  return errors;
}

}  // namespace edgegw
