#include "adapters/simulator/simulator_generator.h"

#include <algorithm>
#include <cassert>
#include <cmath>

#include "adapters/simulator/simulated_world.h"

namespace edgegw {
namespace {

std::unique_ptr<SimulatedWorld> make_world(const SimulatorOptions& options) {
  if (options.profile == "crane") return make_crane_world(options);
  assert(options.profile == "chocolate");
  return make_chocolate_world(options);
}

/// Rounds to a whole multiple of `resolution`. Dividing by an exact power of ten (instead of
/// multiplying by 0.1) gives the double nearest the decimal, so 497.3 prints as "497.3".
double quantise(double v, double resolution) {
  if (resolution <= 0) return v;
  const double inverse = std::round(1.0 / resolution);
  if (inverse >= 1.0 && std::abs(inverse * resolution - 1.0) < 1e-12) {
    return std::round(v * inverse) / inverse;
  }
  return std::round(v / resolution) * resolution;
}

/// The series prefix; benchmarks building options by hand may leave the name empty.
std::string prefix_of(const SimulatorOptions& options) {
  return (options.name.empty() ? options.profile : options.name) + ".";
}

}  // namespace

struct SimulatorGenerator::Channel {
  SimulatedChannel spec;
  double rate_hz = 1.0;  ///< after rate_scale
  std::int64_t sample = 0;
  std::int64_t base_ns = 0;  ///< where `sample` counts from: since start, moved by a new rate
  std::int64_t next_ns = 0;  ///< since start
  double jitter_ns = 0.0;
  bool reported = false;
  double last_value = 0.0;
  std::int64_t last_report_ns = 0;

  void schedule_next() {
    ++sample;
    next_ns = base_ns + std::llround(static_cast<double>(sample) * 1e9 / rate_hz);
  }
  void set_rate(double hz, double jitter_ms) {
    base_ns = next_ns;
    sample = 0;
    rate_hz = hz;
    // Capped below the period so a late sample never overtakes the next one of its series.
    jitter_ns = std::min(jitter_ms * 1e6, 0.4 * 1e9 / rate_hz);
  }
};

std::vector<SeriesSpec> simulator_series(const SimulatorOptions& options) {
  std::vector<SeriesSpec> specs;
  const auto world = make_world(options);
  for (const auto& channel : world->channels()) {
    specs.push_back({prefix_of(options) + channel.channel, channel.unit, channel.resolution});
  }
  return specs;
}

SimulatorGenerator::SimulatorGenerator(const SimulatorOptions& options, std::int64_t start_ms,
                                       std::vector<SeriesId> ids)
    : world_(make_world(options)),
      ids_(std::move(ids)),
      noise_(static_cast<std::uint64_t>(options.seed) ^ 0x5e75e7ULL),
      start_ms_(start_ms),
      heartbeat_ns_(static_cast<std::int64_t>(options.motion_heartbeat_s * 1e9)) {
  for (const auto& spec : world_->channels()) {
    Channel channel;
    channel.spec = spec;
    channel.set_rate(spec.rate_hz * options.rate_scale, options.jitter_ms);
    channels_.push_back(channel);
    series_.push_back({prefix_of(options) + spec.channel, spec.unit, spec.resolution});
  }
  if (ids_.empty()) {
    for (std::size_t i = 0; i < series_.size(); ++i) ids_.push_back(static_cast<SeriesId>(i));
  }
  assert(ids_.size() == series_.size());
}

SimulatorGenerator::~SimulatorGenerator() = default;
SimulatorGenerator::SimulatorGenerator(SimulatorGenerator&&) noexcept = default;
SimulatorGenerator& SimulatorGenerator::operator=(SimulatorGenerator&&) noexcept = default;

std::int64_t SimulatorGenerator::next_scheduled_ns() const {
  std::int64_t next = channels_.front().next_ns;
  for (const auto& channel : channels_) next = std::min(next, channel.next_ns);
  return start_ms_ * 1'000'000 + next;
}

double SimulatorGenerator::sampled_readings_per_s() const {
  double total = 0.0;
  for (const auto& channel : channels_) {
    if (!channel.spec.report_changes_only) total += channel.rate_hz;
  }
  return total;
}

void SimulatorGenerator::set_rate_scale(double rate_scale, double jitter_ms) {
  for (auto& channel : channels_) channel.set_rate(channel.spec.rate_hz * rate_scale, jitter_ms);
}

bool SimulatorGenerator::step(std::vector<Reading>& out) {
  std::size_t index = 0;
  for (std::size_t i = 1; i < channels_.size(); ++i) {
    if (channels_[i].next_ns < channels_[index].next_ns) index = i;
  }
  Channel& channel = channels_[index];
  const std::int64_t t_ns = channel.next_ns;
  channel.schedule_next();
  world_->advance_to(t_ns);

  const SimulatedChannel& spec = channel.spec;
  double v = world_->value(index);
  if (spec.noise_sigma > 0) v += spec.noise_sigma * noise_.normal();
  v = quantise(std::clamp(v, spec.min, spec.max), spec.resolution);
  if (spec.wrap > 0) {
    v = std::fmod(v, spec.wrap);
    if (v < 0) v += spec.wrap;
    v = quantise(v, spec.resolution);
    if (v >= spec.wrap) v = 0.0;
  }

  if (spec.report_changes_only) {
    const bool heartbeat_due = heartbeat_ns_ > 0 && t_ns - channel.last_report_ns >= heartbeat_ns_;
    if (channel.reported && v == channel.last_value && !heartbeat_due) return false;
    channel.reported = true;
    channel.last_value = v;
    channel.last_report_ns = t_ns;
  }

  const double late_ns = channel.jitter_ns > 0 ? noise_.uniform(0.0, channel.jitter_ns) : 0.0;
  const std::int64_t ts_ns = t_ns + static_cast<std::int64_t>(late_ns);
  out.push_back({ids_[index], start_ms_ + ts_ns / 1'000'000, v, Quality::good});
  return true;
}

std::size_t SimulatorGenerator::generate_until(std::int64_t until_ms, std::vector<Reading>& out,
                                               std::size_t max_count) {
  const std::int64_t until_ns = (until_ms - start_ms_) * 1'000'000;
  std::size_t appended = 0;
  while (appended < max_count) {
    const std::int64_t next_ns = next_scheduled_ns() - start_ms_ * 1'000'000;
    if (next_ns >= until_ns) break;
    if (step(out)) ++appended;
  }
  return appended;
}

void SimulatorGenerator::generate(std::size_t count, std::vector<Reading>& out) {
  out.reserve(out.size() + count);
  for (std::size_t appended = 0; appended < count;) {
    if (step(out)) ++appended;
  }
}

void MixedSimulatorStream::add_demo_sources() {
  for (const char* profile : {"chocolate", "crane"}) {
    SimulatorOptions options;
    // Built-in options with only the required key set cannot fail to parse.
    parse_simulator_options({{"profile", std::string(profile)}}, options);
    add(options);
  }
}

void MixedSimulatorStream::add(const SimulatorOptions& options) {
  std::vector<SeriesId> ids;
  SeriesId next_id = static_cast<SeriesId>(series_.size()) + 1;
  for (const auto& spec : simulator_series(options)) {
    ids.push_back(next_id);
    series_.push_back({next_id++, spec});
  }
  sources_.emplace_back(options, start_ms_, std::move(ids));
}

void MixedSimulatorStream::generate(std::size_t count, std::vector<Reading>& out) {
  assert(!sources_.empty());
  out.reserve(out.size() + count);
  for (std::size_t appended = 0; appended < count;) {
    auto due = std::min_element(sources_.begin(), sources_.end(), [](const auto& a, const auto& b) {
      return a.next_scheduled_ns() < b.next_scheduled_ns();
    });
    if (due->step(out)) ++appended;
  }
}

void MixedSimulatorStream::generate_until(std::int64_t until_ms, std::vector<Reading>& out) {
  for (;;) {
    auto due = std::min_element(sources_.begin(), sources_.end(), [](const auto& a, const auto& b) {
      return a.next_scheduled_ns() < b.next_scheduled_ns();
    });
    if (due == sources_.end() || due->next_scheduled_ns() >= until_ms * 1'000'000) return;
    due->step(out);
  }
}

}  // namespace edgegw
