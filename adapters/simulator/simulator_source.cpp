#include "adapters/simulator/simulator_source.h"

#include <cmath>

namespace edgegw {

SimulatorSource::SimulatorSource(SimulatorOptions options, Clock& clock)
    : options_(std::move(options)), clock_(clock) {}

void SimulatorSource::bind(std::vector<SeriesId> ids) {
  generator_.emplace(options_, clock_.wall_ms(), std::move(ids));
}

SourceRead SimulatorSource::read(std::vector<Reading>& out, const StopSignal&) {
  // Samples land up to jitter_ms after their schedule; generating only up to now - jitter keeps
  // every timestamp in the past.
  const auto lag_ms = static_cast<std::int64_t>(std::ceil(options_.jitter_ms));
  const auto batch_max = static_cast<std::size_t>(options_.batch_max);
  generator_->generate_until(clock_.wall_ms() - lag_ms, out, batch_max);
  return {.errors = {}, .lost = false, .more = out.size() >= batch_max};
}

void SimulatorSource::retune(const std::map<std::string, OptionValue>& values) {
  for (const auto& [key, value] : values) {
    if (key == "poll_interval_ms") {
      if (const auto* ms = std::get_if<std::int64_t>(&value)) options_.poll_interval_ms = *ms;
    } else if (key == "rate_scale") {
      const auto* i = std::get_if<std::int64_t>(&value);
      const auto* d = std::get_if<double>(&value);
      if (!i && !d) continue;
      options_.rate_scale = d ? *d : static_cast<double>(*i);
      if (generator_) generator_->set_rate_scale(options_.rate_scale, options_.jitter_ms);
    }
  }
}

ReadDue SimulatorSource::next_read(std::chrono::steady_clock::time_point started) const {
  // The generator catches up on whatever the clock says is due, so the period sets latency and
  // CPU use, never what is produced.
  return {.at = started + std::chrono::milliseconds(options_.poll_interval_ms), .fd = -1};
}

}  // namespace edgegw
