#include "adapters/hx711/hx711_adapter.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <vector>

namespace edgegw {
namespace {

constexpr std::chrono::milliseconds kRefusedRetry{5};
constexpr std::chrono::milliseconds kReopenFirst{1000};
constexpr std::chrono::milliseconds kReopenMax{30000};

}  // namespace

Hx711Scale::Hx711Scale(std::int64_t samples, std::chrono::milliseconds timeout,
                       Hx711Calibration calibration)
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

void Hx711Scale::set_calibration(Hx711Calibration calibration) {
  std::lock_guard lock(mutex_);
  calibration_ = calibration;
}

Hx711Calibration Hx711Scale::calibration() const {
  std::lock_guard lock(mutex_);
  return calibration_;
}

Hx711Adapter::Hx711Adapter(Hx711Options options, Clock& clock, Hx711Hardware hardware)
    : options_(std::move(options)),
      clock_(clock),
      hardware_(std::move(hardware)),
      scale_(options_.samples, std::chrono::milliseconds(options_.timeout_ms),
             {.offset = options_.offset, .scale = options_.scale}) {}

Hx711Adapter::~Hx711Adapter() {
  stop();
}

std::vector<SeriesSpec> Hx711Adapter::series() const {
  std::vector<SeriesSpec> specs{
      {.name = options_.name + ".weight_g", .unit = "g", .resolution = options_.resolution_g}};
  if (options_.emit_raw) specs.push_back({.name = options_.name + ".raw_counts", .unit = "counts"});
  return specs;
}

void Hx711Adapter::start(ReadingSink& sink, std::vector<SeriesId> ids) {
  assert(!thread_.joinable() && "start() called twice");
  assert(ids.size() == series().size());
  {
    std::lock_guard lock(mutex_);
    stopping_ = false;
  }
  thread_ = std::thread([this, &sink, ids = std::move(ids)] { run(sink, ids); });
}

void Hx711Adapter::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mutex_);
  health_.up = false;
}

AdapterHealth Hx711Adapter::health() const {
  std::lock_guard lock(mutex_);
  return health_;
}

void Hx711Adapter::set_calibration(double offset, double scale) {
  assert(scale != 0.0 && std::isfinite(scale) && std::isfinite(offset));
  scale_.set_calibration({.offset = offset, .scale = scale});
}

bool Hx711Adapter::stopping() const {
  std::lock_guard lock(mutex_);
  return stopping_;
}

bool Hx711Adapter::pause_until(std::chrono::steady_clock::time_point until) {
  std::unique_lock lock(mutex_);
  const auto left = until - clock_.monotonic();
  if (left <= std::chrono::steady_clock::duration::zero()) return !stopping_;
  return !wake_.wait_for(lock, left, [this] { return stopping_; });
}

void Hx711Adapter::record_error(std::string message) {
  std::lock_guard lock(mutex_);
  health_.up = false;
  ++health_.errors;
  health_.last_error = std::move(message);
}

bool Hx711Adapter::open_lines() {
  driver_.reset();
  pd_sck_.reset();
  dout_.reset();
  // PD_SCK starts low: a line that came up high would power the part down.
  auto sck = hardware_.lines->open_output({options_.chip, static_cast<unsigned>(options_.sck_line)},
                                          false);
  if (!sck.line) {
    record_error(sck.error);
    return false;
  }
  auto dout = hardware_.lines->open_input(
      {options_.chip, static_cast<unsigned>(options_.dout_line)}, gpio::Bias::as_is, false);
  if (!dout.line) {
    record_error(dout.error);
    return false;
  }
  pd_sck_ = std::move(sck.line);
  dout_ = std::move(dout.line);
  driver_.emplace(*pd_sck_, *dout_, *hardware_.pulse_clock, parse_gain(options_.gain));
  return true;
}

void Hx711Adapter::run(ReadingSink& sink, std::vector<SeriesId> ids) {
  const auto period = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(1.0 / options_.rate_hz));
  auto reopen_wait = kReopenFirst;
  auto next = clock_.monotonic();
  std::vector<Reading> batch;
  for (;;) {
    if (!driver_ && !open_lines()) {
      if (!pause_until(clock_.monotonic() + reopen_wait)) return;
      reopen_wait = std::min(reopen_wait * 2, kReopenMax);
      continue;
    }
    reopen_wait = kReopenFirst;
    next += period;

    const ScaleSample weighing = scale_.sample(*driver_, [this] { return stopping(); });
    if (weighing.ok) {
      const std::int64_t ts = clock_.wall_ms();
      batch.push_back({.series = ids[0], .ts_ms = ts, .value = weighing.grams});
      if (options_.emit_raw)
        batch.push_back({.series = ids[1], .ts_ms = ts, .value = weighing.raw});
      weighings_.fetch_add(1, std::memory_order_relaxed);
      {
        std::lock_guard lock(mutex_);
        health_.up = true;
      }
    } else if (!weighing.stopped) {
      record_error(weighing.message);
      // A line the kernel refuses is requested again; the part itself is retried next period.
      if (weighing.error == hx711::FrameResult::Error::line_failed) driver_.reset();
    }
    while (!batch.empty()) {
      if (sink.offer(batch)) {
        batch.clear();
      } else {
        refused_offers_.fetch_add(1, std::memory_order_relaxed);
        if (!pause_until(clock_.monotonic() + kRefusedRetry)) break;
      }
    }
    // A weighing that overran its period is followed at once, without a burst to catch up.
    next = std::max(next, clock_.monotonic());
    if (!pause_until(next)) break;
  }
  // Powered down, the part draws under 1 µA and starts from a clean reset next time.
  if (driver_) driver_->power_down();
}

}  // namespace edgegw
