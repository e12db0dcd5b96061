#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>

#include "gateway/model/clock.h"

namespace edgegw {

/// When to try connecting again: capped exponential backoff with full jitter. Attempt n waits a
/// uniformly random time in [0, min(max, min * 2^n)]. The count goes back to zero only after a
/// connection has stayed up for `stable_after`, so a broker that accepts and then drops at once
/// (a rejected client certificate under TLS 1.3 looks like that) is not hammered.
class ReconnectBackoff {
 public:
  /// Returns a uniformly distributed integer in [0, upper] (inclusive).
  using RandomSource = std::function<std::int64_t(std::int64_t upper)>;

  struct Settings {
    std::chrono::milliseconds min{1000};
    std::chrono::milliseconds max{60000};
    std::chrono::milliseconds stable_after{30000};
  };

  /// `random` defaults to a seeded Mersenne twister.
  ReconnectBackoff(Settings settings, const Clock& clock, RandomSource random = {});

  /// The upper bound of the next delay: min(max, min * 2^attempts()).
  std::chrono::milliseconds current_cap() const;
  /// The delay to wait before the next attempt; counts the attempt.
  std::chrono::milliseconds next_delay();
  /// Attempts counted since the schedule last reset.
  int attempts() const { return attempts_; }

  /// The connection came up now.
  void connected();
  /// The connection went down now; resets the schedule if it had been up for `stable_after`.
  void disconnected();
  /// Starts the schedule over (a deliberate reconnect, not a failure).
  void reset() { attempts_ = 0; }

 private:
  Settings settings_;
  const Clock& clock_;
  RandomSource random_;
  int attempts_ = 0;
  std::chrono::steady_clock::time_point connected_at_{};
  bool up_ = false;
};

inline ReconnectBackoff::ReconnectBackoff(Settings settings, const Clock& clock,
                                          RandomSource random)
    : settings_(settings), clock_(clock), random_(std::move(random)) {
  settings_.min = std::max(settings_.min, std::chrono::milliseconds(1));
  settings_.max = std::max(settings_.max, settings_.min);
  if (!random_) {
    auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
    random_ = [engine](std::int64_t upper) {
      return std::uniform_int_distribution<std::int64_t>(0, upper)(*engine);
    };
  }
}

inline std::chrono::milliseconds ReconnectBackoff::current_cap() const {
  std::int64_t cap = settings_.min.count();
  const std::int64_t max = settings_.max.count();
  // Doubling stops at the cap, so a long outage cannot overflow the shift.
  for (int i = 0; i < attempts_ && cap < max; ++i) cap *= 2;
  return std::chrono::milliseconds(std::min(cap, max));
}

inline std::chrono::milliseconds ReconnectBackoff::next_delay() {
  auto cap = current_cap().count();
  auto delay = std::clamp<std::int64_t>(random_(cap), 0, cap);
  ++attempts_;
  return std::chrono::milliseconds(delay);
}

inline void ReconnectBackoff::connected() {
  up_ = true;
  connected_at_ = clock_.monotonic();
}

inline void ReconnectBackoff::disconnected() {
  if (up_ && clock_.monotonic() - connected_at_ >= settings_.stable_after) attempts_ = 0;
  up_ = false;
}

}  // namespace edgegw
