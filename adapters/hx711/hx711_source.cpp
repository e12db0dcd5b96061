#include "adapters/hx711/hx711_source.h"

#include <cmath>
#include <vector>

namespace edgegw {
namespace {

/// Counts a known weight must move the reading from the tare by: an HX711 at gain 128 wanders
/// by tens of counts with nothing on it.
constexpr double kMinCalibrationCounts = 100;

}  // namespace

Hx711Scale::Hx711Scale(std::int64_t samples, std::chrono::milliseconds timeout,
                       ScaleCalibration calibration)
    : samples_(samples), timeout_(timeout), calibration_(calibration) {}

ScaleSample Hx711Scale::sample(hx711::Hx711Driver& driver, const std::function<bool()>& stopping) {
  ScaleSample result;
  std::vector<std::int32_t> frames;
  frames.reserve(static_cast<std::size_t>(samples_));
  for (std::int64_t i = 0; i < samples_; ++i) {
    if (stopping && stopping()) {
      result.stopped = true;
      return result;
    }
    const auto frame = driver.read(timeout_);
    if (!frame.ok()) {
      result.error = frame.error;
      result.message = frame.message;
      return result;
    }
    frames.push_back(frame.raw);
  }
  const auto calibration = this->calibration();
  result.ok = true;
  result.raw = *hx711::median_of(frames);
  result.grams = (result.raw - calibration.offset) / calibration.scale;
  return result;
}

void Hx711Scale::set_calibration(ScaleCalibration calibration) {
  std::lock_guard lock(mutex_);
  calibration_ = calibration;
}

ScaleCalibration Hx711Scale::calibration() const {
  std::lock_guard lock(mutex_);
  return calibration_;
}

Hx711Source::Hx711Source(Hx711Options options, Clock& clock, Hx711Hardware hardware)
    : options_(std::move(options)),
      clock_(clock),
      hardware_(std::move(hardware)),
      scale_(options_.samples, std::chrono::milliseconds(options_.timeout_ms),
             {.offset = options_.offset, .scale = options_.scale}) {}

Hx711Source::~Hx711Source() {
  close();
}

std::vector<SeriesSpec> Hx711Source::series() const {
  std::vector<SeriesSpec> specs{
      {.name = options_.name + ".weight_g", .unit = "g", .resolution = options_.resolution_g}};
  if (options_.emit_raw) specs.push_back({.name = options_.name + ".raw_counts", .unit = "counts"});
  return specs;
}

std::string Hx711Source::open() {
  // PD_SCK starts low: a line that came up high would power the part down.
  auto sck = hardware_.lines->open_output({options_.chip, static_cast<unsigned>(options_.sck_line)},
                                          false);
  if (!sck.line) return sck.error;
  auto dout = hardware_.lines->open_input(
      {options_.chip, static_cast<unsigned>(options_.dout_line)}, gpio::Bias::as_is, false);
  if (!dout.line) return dout.error;
  pd_sck_ = std::move(sck.line);
  dout_ = std::move(dout.line);
  driver_.emplace(*pd_sck_, *dout_, *hardware_.pulse_clock, parse_gain(options_.gain));
  return {};
}

void Hx711Source::close() {
  // Powered down, the part draws under 1 µA and starts from a clean reset next time.
  if (driver_) driver_->power_down();
  driver_.reset();
  pd_sck_.reset();
  dout_.reset();
}

SourceRead Hx711Source::read(std::vector<Reading>& out, const StopSignal& stop) {
  const ScaleSample weighing = scale_.sample(*driver_, [&stop] { return stop.stopping(); });
  if (weighing.stopped) return {};
  if (!weighing.ok) {
    std::lock_guard lock(latest_mutex_);
    latest_error_ = weighing.message;
    // A line the kernel refuses is requested again; the part itself is retried next period.
    return {.errors = {weighing.message},
            .lost = weighing.error == hx711::FrameResult::Error::line_failed,
            .more = false};
  }
  const std::int64_t ts = clock_.wall_ms();
  out.push_back({.series = ids_.at(0), .ts_ms = ts, .value = weighing.grams});
  if (options_.emit_raw) out.push_back({.series = ids_.at(1), .ts_ms = ts, .value = weighing.raw});
  std::lock_guard lock(latest_mutex_);
  ++weighings_;
  latest_raw_ = weighing.raw;
  latest_at_ = clock_.monotonic();
  latest_error_.clear();
  return {};
}

ReadDue Hx711Source::next_read(std::chrono::steady_clock::time_point started) const {
  // A weighing that overran its period is followed at once, without a burst to catch up.
  const auto period = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(1.0 / options_.rate_hz));
  return {.at = started + period, .fd = -1};
}

std::uint64_t Hx711Source::weighings() const {
  std::lock_guard lock(latest_mutex_);
  return weighings_;
}

std::optional<double> Hx711Source::recent_raw(std::string& why_not) const {
  std::lock_guard lock(latest_mutex_);
  if (weighings_ == 0) {
    why_not = "no weighing yet" + (latest_error_.empty() ? "" : ": " + latest_error_);
    return std::nullopt;
  }
  // Two reading periods and a second: the weighing the request follows, or the one before it.
  const auto fresh = std::chrono::duration<double>(2.0 / options_.rate_hz + 1.0);
  if (clock_.monotonic() - latest_at_ > fresh) {
    why_not = "the latest weighing is too old to stand for the load now" +
              (latest_error_.empty() ? "" : ": " + latest_error_);
    return std::nullopt;
  }
  return latest_raw_;
}

CalibrationOutcome Hx711Source::tare() {
  CalibrationOutcome outcome;
  const auto raw = recent_raw(outcome.error);
  if (raw) {
    ScaleCalibration calibration = scale_.calibration();
    calibration.offset = *raw;
    scale_.set_calibration(calibration);
    outcome.ok = true;
    outcome.raw = *raw;
  }
  outcome.calibration = scale_.calibration();
  return outcome;
}

CalibrationOutcome Hx711Source::calibrate(double known_grams) {
  CalibrationOutcome outcome;
  if (!std::isfinite(known_grams) || known_grams <= 0.0) {
    outcome.error = "known_grams must be a weight above 0 g";
  } else if (const auto raw = recent_raw(outcome.error)) {
    ScaleCalibration calibration = scale_.calibration();
    const double scale = (*raw - calibration.offset) / known_grams;
    // A few counts either side of the tare are the part's noise, not a weight.
    if (std::abs(*raw - calibration.offset) < kMinCalibrationCounts) {
      outcome.error = "the load reads as the tare: is the known weight on the scale?";
    } else {
      calibration.scale = scale;
      scale_.set_calibration(calibration);
      outcome.ok = true;
    }
    outcome.raw = *raw;
  }
  outcome.calibration = scale_.calibration();
  return outcome;
}

void Hx711Source::set_calibration(ScaleCalibration calibration) {
  scale_.set_calibration(calibration);
}

}  // namespace edgegw
