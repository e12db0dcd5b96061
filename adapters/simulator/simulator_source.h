#pragma once

#include <optional>

#include "adapters/simulator/simulator_generator.h"
#include "adapters/simulator/simulator_options.h"
#include "adapters/source.h"
#include "gateway/model/clock.h"

namespace edgegw {

/// A SimulatorGenerator as a source: each read generates what `clock` says is due, at most
/// `batch_max` readings, and asks to be read again at once while more is due.
class SimulatorSource final : public Source {
 public:
  /// `options` must have passed parse_simulator_options. Builds nothing that runs: safe for
  /// check-config.
  SimulatorSource(SimulatorOptions options, Clock& clock);

  const std::string& name() const override { return options_.name; }
  std::vector<SeriesSpec> series() const override { return simulator_series(options_); }
  /// The simulated world starts here, when the adapter starts.
  void bind(std::vector<SeriesId> ids) override;
  /// A simulator never fails to open.
  ReconnectBackoff::Settings reopen_backoff() const override { return {}; }
  std::string open() override { return {}; }
  void close() override {}
  SourceRead read(std::vector<Reading>& out, const StopSignal& stop) override;
  ReadDue next_read(std::chrono::steady_clock::time_point started) const override;
  /// poll_interval_ms and rate_scale; a new rate holds from the next sample of each channel.
  void retune(const std::map<std::string, OptionValue>& values) override;

  const SimulatorOptions& options() const { return options_; }

 private:
  SimulatorOptions options_;
  Clock& clock_;
  std::optional<SimulatorGenerator> generator_;
};

}  // namespace edgegw
