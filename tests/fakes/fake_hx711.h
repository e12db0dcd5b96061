#pragma once
// An HX711 in memory, driven through the same gpio:: lines the driver uses. It shifts real
// 24-bit two's-complement frames out on DOUT, MSB first, one bit per rising PD_SCK edge; it
// counts the pulses of every frame, takes the gain for the next conversion from them, times
// every high phase on the shared FakePulseClock, and powers down (then resets to A/128) when
// PD_SCK is held high past 60 µs, as the datasheet says the part does.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include "adapters/gpio/gpio_line.h"
#include "adapters/hx711/hx711_driver.h"

namespace edgegw::hx711 {

/// Time that moves only when the code under test waits or touches a line.
class FakePulseClock final : public PulseClock {
 public:
  std::chrono::nanoseconds now() const override {
    std::lock_guard lock(mutex_);
    return now_;
  }
  void wait(std::chrono::nanoseconds period) override { advance(period); }
  void advance(std::chrono::nanoseconds period) {
    std::lock_guard lock(mutex_);
    now_ += period;
  }

 private:
  mutable std::mutex mutex_;
  std::chrono::nanoseconds now_{0};
};

/// The source owns its pulse clock; this one lends it the test's, which the fake part shares.
class LentPulseClock final : public PulseClock {
 public:
  explicit LentPulseClock(PulseClock& to) : to_(to) {}
  std::chrono::nanoseconds now() const override { return to_.now(); }
  void wait(std::chrono::nanoseconds period) override { to_.wait(period); }

 private:
  PulseClock& to_;
};

class FakeHx711 {
 public:
  explicit FakeHx711(FakePulseClock& clock) : clock_(clock), sck_(*this), dout_(*this) {}

  gpio::OutputLine& pd_sck() { return sck_; }
  gpio::InputLine& dout() { return dout_; }

  /// Conversions to deliver, in order, as signed counts (-8388608 to 8388607).
  void queue(std::initializer_list<std::int32_t> values) {
    std::lock_guard lock(mutex_);
    for (auto v : values) frames_.push_back(v);
  }
  /// Delivered whenever the queue is empty; without it DOUT stays high (never ready).
  void deliver_forever(std::int32_t value) {
    std::lock_guard lock(mutex_);
    forever_ = value;
  }
  /// Each line access takes this long, like an ioctl on a real board.
  std::chrono::nanoseconds access_time{std::chrono::microseconds(2)};
  /// Time from the end of one frame until DOUT falls for the next.
  std::chrono::nanoseconds conversion_time{std::chrono::milliseconds(12)};
  /// While PD_SCK is high for the n-th time (from 1, over the fake's life), time jumps on by
  /// this much: the driver's thread was preempted mid-pulse.
  std::map<int, std::chrono::nanoseconds> stall_on_rise;

  /// Pulses of each frame the driver clocked, the one in progress included.
  std::vector<int> pulses_per_frame() const {
    std::lock_guard lock(mutex_);
    auto all = finished_pulses_;
    if (shifting_) all.push_back(pulses_);
    return all;
  }
  std::vector<std::chrono::nanoseconds> high_phases() const {
    std::lock_guard lock(mutex_);
    return highs_;
  }
  std::chrono::nanoseconds longest_high() const {
    std::lock_guard lock(mutex_);
    return highs_.empty() ? std::chrono::nanoseconds{0}
                          : *std::max_element(highs_.begin(), highs_.end());
  }
  /// The gain the last complete frame's pulses chose (A/128 after a reset).
  Gain next_gain() const {
    std::lock_guard lock(mutex_);
    return next_gain_;
  }
  /// Whether PD_SCK has now been high long enough to power the part down.
  bool powered_down() const {
    std::lock_guard lock(mutex_);
    return sck_high_ && clock_.now() - rose_at_ > kPowerDownHigh;
  }
  int resets() const {
    std::lock_guard lock(mutex_);
    return resets_;
  }
  std::size_t frames_left() const {
    std::lock_guard lock(mutex_);
    return frames_.size();
  }

 private:
  struct Sck final : gpio::OutputLine {
    explicit Sck(FakeHx711& part) : part(part) {}
    bool set(bool high) override {
      part.drive(high);
      return true;
    }
    std::string error() const override { return {}; }
    FakeHx711& part;
  };
  struct Dout final : gpio::InputLine {
    explicit Dout(FakeHx711& part) : part(part) {}
    std::optional<int> level() override { return part.sample(); }
    int event_fd() const override { return -1; }
    std::vector<gpio::EdgeEvent> read_events() override { return {}; }
    std::string error() const override { return {}; }
    FakeHx711& part;
  };

  bool has_frame() const { return !frames_.empty() || forever_.has_value(); }

  void close_frame() {
    if (!shifting_) return;
    finished_pulses_.push_back(pulses_);
    if (pulses_ >= 25) {
      next_gain_ = pulses_ == 25 ? Gain::a128 : pulses_ == 26 ? Gain::b32 : Gain::a64;
    }
    shifting_ = false;
    ready_at_ = clock_.now() + conversion_time;
  }

  void drive(bool high) {
    clock_.advance(access_time);
    std::lock_guard lock(mutex_);
    if (high == sck_high_) return;
    sck_high_ = high;
    const auto now = clock_.now();
    if (high) {
      rose_at_ = now;
      ++rises_;
      if (shifting_ || (has_frame() && now >= ready_at_)) {
        if (!shifting_) {
          shifting_ = true;
          pulses_ = 0;
          if (!frames_.empty()) {
            word_ = static_cast<std::uint32_t>(frames_.front()) & 0xFFFFFFu;
            frames_.pop_front();
          } else {
            word_ = static_cast<std::uint32_t>(*forever_) & 0xFFFFFFu;
          }
        }
        ++pulses_;
        bit_ = pulses_ <= 24 ? static_cast<int>((word_ >> (24 - pulses_)) & 1u) : 1;
      }
      if (auto stall = stall_on_rise.find(rises_); stall != stall_on_rise.end()) {
        clock_.advance(stall->second);
      }
      return;
    }
    const auto held = now - rose_at_;
    highs_.push_back(held);
    if (held > kPowerDownHigh) {
      // Powered down while high; going low powers it up, reset, at A/128.
      if (shifting_) finished_pulses_.push_back(pulses_);
      shifting_ = false;
      next_gain_ = Gain::a128;
      ++resets_;
      ready_at_ = clock_.now() + conversion_time;
    }
  }

  int sample() {
    clock_.advance(access_time);
    std::lock_guard lock(mutex_);
    // After the 24 data bits the driver looks at DOUT again only once the gain pulses are done.
    if (shifting_ && pulses_ > 24 && !sck_high_) close_frame();
    if (shifting_) return bit_;
    if (sck_high_ && clock_.now() - rose_at_ > kPowerDownHigh) return 1;
    return has_frame() && clock_.now() >= ready_at_ ? 0 : 1;
  }

  FakePulseClock& clock_;
  Sck sck_;
  Dout dout_;
  mutable std::mutex mutex_;
  std::deque<std::int32_t> frames_;
  std::optional<std::int32_t> forever_;
  bool sck_high_ = false;
  std::chrono::nanoseconds rose_at_{0};
  int rises_ = 0;
  bool shifting_ = false;
  int pulses_ = 0;
  std::uint32_t word_ = 0;
  int bit_ = 1;
  Gain next_gain_ = Gain::a128;
  std::chrono::nanoseconds ready_at_{0};
  std::vector<int> finished_pulses_;
  std::vector<std::chrono::nanoseconds> highs_;
  int resets_ = 0;
};

}  // namespace edgegw::hx711
