#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "adapters/gpio/gpio_line.h"

namespace edgegw::hx711 {

/// Input channel and gain of the next conversion, chosen by the pulses after the 24 data bits.
enum class Gain { a128, b32, a64 };

/// PD_SCK pulses of one frame: 24 data bits, then 1, 2 or 3 that choose the next gain.
constexpr int pulses_for(Gain gain) {
  switch (gain) {
    case Gain::a128:
      return 25;
    case Gain::b32:
      return 26;
    case Gain::a64:
      return 27;
  }
  return 25;
}

/// The 24-bit two's-complement word the HX711 shifts out, as a signed count.
constexpr std::int32_t sign_extend_24(std::uint32_t word) {
  word &= 0xFFFFFFu;
  return (word & 0x800000u) != 0 ? static_cast<std::int32_t>(word) - 0x1000000
                                 : static_cast<std::int32_t>(word);
}

/// The HX711 powers down once PD_SCK has been high for 60 µs; a data pulse must stay well
/// below that, and one that did not is reported rather than trusted.
constexpr std::chrono::microseconds kMaxPulseHigh{50};
constexpr std::chrono::microseconds kPowerDownHigh{60};

/// Monotonic time for bit-banging, injected so a fake can move it and check every pulse.
class PulseClock {
 public:
  virtual ~PulseClock() = default;
  virtual std::chrono::nanoseconds now() const = 0;
  /// Waits `period`. Microsecond waits must not sleep: a scheduler sleep can hold PD_SCK high
  /// past the power-down limit.
  virtual void wait(std::chrono::nanoseconds period) = 0;
};

/// steady_clock; spins for waits under 200 µs, sleeps for longer ones.
class SteadyPulseClock final : public PulseClock {
 public:
  std::chrono::nanoseconds now() const override;
  void wait(std::chrono::nanoseconds period) override;
};

/// How long each phase of a pulse is held. The datasheet asks for at least 0.2 µs each and
/// PD_SCK high at most 50 µs; a libgpiod ioctl alone takes a few µs.
struct PulseTiming {
  std::chrono::nanoseconds high{1000};
  std::chrono::nanoseconds low{1000};
  /// How often DOUT is looked at while waiting for a conversion (10 or 80 per second).
  std::chrono::nanoseconds ready_poll{std::chrono::milliseconds(1)};
};

/// What one read of a frame gave.
struct FrameResult {
  enum class Error { none, not_ready, pulse_too_long, line_failed };
  Error error = Error::none;
  std::int32_t raw = 0;  ///< the signed count, when error is none
  std::string message;   ///< why, when it is not

  bool ok() const { return error == Error::none; }
};

/// Framing of the HX711's two-wire interface: waits for DOUT to fall (data ready), clocks the
/// 24 bits out MSB first plus the gain pulses, and watches every pulse's high phase. Plain
/// code on the caller's thread; the adapter gives it a thread of its own.
class Hx711Driver {
 public:
  Hx711Driver(gpio::OutputLine& pd_sck, gpio::InputLine& dout, PulseClock& clock, Gain gain,
              PulseTiming timing = {});

  /// One frame, waiting up to `timeout` for DOUT to go low. A frame converted at a gain this
  /// driver did not choose (the first one, and the first after a power-up or a stretched pulse,
  /// when the part resets to A/128) is read and dropped, and the next one is returned.
  FrameResult read(std::chrono::milliseconds timeout);

  /// Holds PD_SCK high past 60 µs: the part powers down and stays down until power_up().
  bool power_down();
  /// PD_SCK low: the part resets (A/128) and starts converting again.
  bool power_up();
  bool powered_down() const { return powered_down_; }

 private:
  FrameResult read_one(std::chrono::nanoseconds deadline);
  FrameResult fail(FrameResult::Error error, std::string message);

  gpio::OutputLine& pd_sck_;
  gpio::InputLine& dout_;
  PulseClock& clock_;
  Gain gain_;
  PulseTiming timing_;
  bool gain_unknown_ = true;
  bool powered_down_ = false;
};

/// The median of `samples` (the mean of the middle two for an even count), which reorders
/// them. One spike among N samples cannot move it; empty gives nothing.
std::optional<double> median_of(std::span<std::int32_t> samples);

}  // namespace edgegw::hx711
