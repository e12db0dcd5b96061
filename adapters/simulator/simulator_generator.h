#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

#include "adapters/simulator/simulation_random.h"
#include "adapters/simulator/simulator_options.h"
#include "gateway/model/reading.h"
#include "gateway/model/series.h"

namespace edgegw {

class SimulatedWorld;

/// The series a simulator with these options produces: "<name>.<channel>" with unit and
/// resolution, in the order generator ids refer to them.
std::vector<SeriesSpec> simulator_series(const SimulatorOptions& options);

/// Deterministic reading source for one simulator profile: no threads, no clock. Each channel
/// is sampled on a fixed schedule from `start_ms` (sample k at start + k / rate), and each
/// timestamp lands up to `jitter_ms` late. Readings come out in order of their scheduled time
/// (so timestamps are ordered per series; across series jitter can swap neighbours).
class SimulatorGenerator {
 public:
  /// `options` must have passed parse_simulator_options. ids[i] labels
  /// simulator_series(options)[i]; empty ids mean 0, 1, 2, ...
  SimulatorGenerator(const SimulatorOptions& options, std::int64_t start_ms,
                     std::vector<SeriesId> ids = {});
  ~SimulatorGenerator();
  SimulatorGenerator(SimulatorGenerator&&) noexcept;
  SimulatorGenerator& operator=(SimulatorGenerator&&) noexcept;

  const std::vector<SeriesSpec>& series() const { return series_; }
  const std::vector<SeriesId>& ids() const { return ids_; }

  /// Appends every reading scheduled before `until_ms`, at most `max_count` of them; returns
  /// how many it appended. Later calls continue where this one stopped.
  std::size_t generate_until(std::int64_t until_ms, std::vector<Reading>& out,
                             std::size_t max_count = std::numeric_limits<std::size_t>::max());
  /// Appends exactly `count` readings.
  void generate(std::size_t count, std::vector<Reading>& out);
  /// Takes the next scheduled sample; appends it unless it is an unchanged change-only value.
  /// Returns whether it appended.
  bool step(std::vector<Reading>& out);
  /// Unix time in nanoseconds of the next scheduled sample (emitted or not).
  std::int64_t next_scheduled_ns() const;
  /// Readings a second of this profile yields at this rate_scale, not counting
  /// change-only channels (PIR).
  double sampled_readings_per_s() const;
  /// Every channel's rate becomes its profile rate times `rate_scale` from its next sample on,
  /// which stays where it was scheduled.
  void set_rate_scale(double rate_scale, double jitter_ms);

 private:
  struct Channel;

  std::unique_ptr<SimulatedWorld> world_;
  std::vector<Channel> channels_;
  std::vector<SeriesSpec> series_;
  std::vector<SeriesId> ids_;
  SimulationRandom noise_;
  std::int64_t start_ms_;
  std::int64_t heartbeat_ns_;
};

/// Several simulators merged in scheduled-time order, as one gateway with a chocolate box and a
/// crane would see them. Benchmarks use it for a realistic mixed stream.
class MixedSimulatorStream {
 public:
  explicit MixedSimulatorStream(std::int64_t start_ms) : start_ms_(start_ms) {}
  /// Adds a simulator; its series get the next free ids, counting from 1.
  void add(const SimulatorOptions& options);
  /// Adds the demo's chocolate box and crane, with default options: the reference stream
  /// the benchmarks and `edgegw cost` measure packing on.
  void add_demo_sources();
  /// Every series with its id, in id order (ready for SeriesCatalog::insert).
  const std::vector<SeriesInfo>& series() const { return series_; }
  /// Appends exactly `count` readings, taking each from the source due next.
  void generate(std::size_t count, std::vector<Reading>& out);
  /// Appends every reading scheduled before `until_ms`.
  void generate_until(std::int64_t until_ms, std::vector<Reading>& out);

 private:
  std::int64_t start_ms_;
  std::vector<SimulatorGenerator> sources_;
  std::vector<SeriesInfo> series_;
};

}  // namespace edgegw
