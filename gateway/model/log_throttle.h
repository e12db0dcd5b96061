#pragma once

#include <chrono>
#include <cstdint>
#include <utility>

namespace edgegw {

/// Decides when a message about a lasting condition (a full disk, a bundle that cannot be
/// recorded) may be logged again: at most once per interval, with the number of times it was
/// held back, so the log gets one line per interval instead of ten a second.
class LogThrottle {
 public:
  explicit LogThrottle(std::chrono::steady_clock::duration interval) : interval_(interval) {}

  /// True when the caller should log now; `held_back` is then how many calls since the last
  /// true were told not to.
  bool should_log(std::chrono::steady_clock::time_point now, std::uint64_t& held_back) {
    if (logged_ && now < next_) {
      ++held_back_;
      return false;
    }
    logged_ = true;
    next_ = now + interval_;
    held_back = std::exchange(held_back_, 0);
    return true;
  }

 private:
  std::chrono::steady_clock::duration interval_;
  std::chrono::steady_clock::time_point next_{};
  bool logged_ = false;
  std::uint64_t held_back_ = 0;
};

}  // namespace edgegw
