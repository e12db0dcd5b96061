#include "adapters/hx711/hx711_driver.h"

#include <algorithm>
#include <thread>

namespace edgegw::hx711 {
namespace {

constexpr std::chrono::microseconds kSpinBelow{200};
constexpr int kDataBits = 24;

std::string micros(std::chrono::nanoseconds period) {
  return std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(period).count()) +
         " µs";
}

}  // namespace

std::chrono::nanoseconds SteadyPulseClock::now() const {
  return std::chrono::steady_clock::now().time_since_epoch();
}

void SteadyPulseClock::wait(std::chrono::nanoseconds period) {
  if (period >= kSpinBelow) {
    std::this_thread::sleep_for(period);
    return;
  }
  const auto until = now() + period;
  while (now() < until) {
  }
}

Hx711Driver::Hx711Driver(gpio::OutputLine& pd_sck, gpio::InputLine& dout, PulseClock& clock,
                         Gain gain, PulseTiming timing)
    : pd_sck_(pd_sck), dout_(dout), clock_(clock), gain_(gain), timing_(timing) {}

FrameResult Hx711Driver::fail(FrameResult::Error error, std::string message) {
  return {.error = error, .raw = 0, .message = std::move(message)};
}

FrameResult Hx711Driver::read(std::chrono::milliseconds timeout) {
  if (powered_down_ && !power_up()) {
    return fail(FrameResult::Error::line_failed, "PD_SCK: " + pd_sck_.error());
  }
  const auto deadline = clock_.now() + timeout;
  if (gain_unknown_) {
    FrameResult dropped = read_one(deadline);
    if (!dropped.ok()) return dropped;
    // The pulses of that frame chose our gain for the conversion now under way.
    gain_unknown_ = false;
  }
  return read_one(deadline);
}

FrameResult Hx711Driver::read_one(std::chrono::nanoseconds deadline) {
  for (;;) {
    const auto level = dout_.level();
    if (!level) return fail(FrameResult::Error::line_failed, "DOUT: " + dout_.error());
    if (*level == 0) break;
    if (clock_.now() >= deadline) {
      return fail(FrameResult::Error::not_ready,
                  "DOUT did not go low in time: the HX711 has no data ready (unpowered, "
                  "unwired or powered down?)");
    }
    clock_.wait(timing_.ready_poll);
  }

  std::uint32_t word = 0;
  std::chrono::nanoseconds longest_high{0};
  const int pulses = pulses_for(gain_);
  for (int pulse = 0; pulse < pulses; ++pulse) {
    // The high phase is measured from before the rising write to after the falling one, so
    // the time the writes themselves take counts against the limit.
    const auto rose = clock_.now();
    if (!pd_sck_.set(true)) {
      gain_unknown_ = true;
      return fail(FrameResult::Error::line_failed, "PD_SCK: " + pd_sck_.error());
    }
    clock_.wait(timing_.high);
    const bool fell = pd_sck_.set(false);
    longest_high = std::max(longest_high, clock_.now() - rose);
    if (!fell) {
      gain_unknown_ = true;
      return fail(FrameResult::Error::line_failed, "PD_SCK: " + pd_sck_.error());
    }
    clock_.wait(timing_.low);
    if (pulse < kDataBits) {
      // DOUT changes on the rising edge and holds until the next one: read it while low.
      const auto bit = dout_.level();
      if (!bit) {
        gain_unknown_ = true;
        return fail(FrameResult::Error::line_failed, "DOUT: " + dout_.error());
      }
      word = (word << 1) | static_cast<std::uint32_t>(*bit & 1);
    }
  }
  if (longest_high > kMaxPulseHigh) {
    // Past 60 µs the part powered down mid-frame and reset to A/128; even short of it the
    // frame is not trusted.
    gain_unknown_ = true;
    return fail(FrameResult::Error::pulse_too_long,
                "PD_SCK stayed high for " + micros(longest_high) +
                    " (limit 50 µs; the thread was held up): frame dropped");
  }
  return {.error = FrameResult::Error::none, .raw = sign_extend_24(word), .message = {}};
}

bool Hx711Driver::power_down() {
  if (!pd_sck_.set(true)) return false;
  // Twice the datasheet's 60 µs, so a slow clock edge cannot leave it just short.
  clock_.wait(2 * kPowerDownHigh);
  powered_down_ = true;
  return true;
}

bool Hx711Driver::power_up() {
  if (!pd_sck_.set(false)) return false;
  powered_down_ = false;
  gain_unknown_ = true;
  return true;
}

std::optional<double> median_of(std::span<std::int32_t> samples) {
  if (samples.empty()) return std::nullopt;
  const auto middle = samples.begin() + static_cast<std::ptrdiff_t>(samples.size() / 2);
  std::nth_element(samples.begin(), middle, samples.end());
  if (samples.size() % 2 == 1) return static_cast<double>(*middle);
  const auto below = *std::max_element(samples.begin(), middle);
  return (static_cast<double>(below) + static_cast<double>(*middle)) / 2.0;
}

}  // namespace edgegw::hx711
