#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "adapters/simulator/simulator_options.h"

namespace edgegw {

/// One sensor of a simulated world and how it is sampled.
struct SimulatedChannel {
  std::string channel;  ///< series name after "<adapter name>."
  std::string unit;
  double resolution = 0.0;  ///< readings are whole multiples of this
  double rate_hz = 1.0;     ///< before rate_scale
  double noise_sigma = 0.0;
  double min = -std::numeric_limits<double>::infinity();  ///< clamp after noise
  double max = std::numeric_limits<double>::infinity();
  double wrap = 0.0;  ///< > 0: the value is an angle taken modulo this (slew)
  /// Sampled at rate_hz but reported only on change or every heartbeat, like a PIR input.
  bool report_changes_only = false;
};

/// The physics behind a profile: noise-free values as a function of simulated time. Time is
/// given in nanoseconds since the generator's start and never decreases.
class SimulatedWorld {
 public:
  virtual ~SimulatedWorld() = default;
  virtual const std::vector<SimulatedChannel>& channels() const = 0;
  /// Moves the world forward to `t_ns`, running every event due by then.
  virtual void advance_to(std::int64_t t_ns) = 0;
  /// The true value of channels()[index] at the current time. A world only simulates: what a
  /// theft or an overload is, the gateway's rules decide from these values.
  virtual double value(std::size_t index) = 0;
};

std::unique_ptr<SimulatedWorld> make_chocolate_world(const SimulatorOptions& options);
std::unique_ptr<SimulatedWorld> make_crane_world(const SimulatorOptions& options);

}  // namespace edgegw
