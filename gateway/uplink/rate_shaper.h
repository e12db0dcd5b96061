#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>

namespace edgegw {

/// Keeps publishing under a provider's per-connection limits (AWS IoT Core: 100 publishes/s
/// and 512 KB/s) with two token buckets, one for messages and one for bytes. Each bucket holds
/// at most one second's worth, so a drained backlog starts with a short burst and then runs
/// at the limit. A rate of 0 means no limit.
class RateShaper {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  RateShaper(double publishes_per_s, double bytes_per_s, TimePoint now)
      : publishes_(publishes_per_s, now), bytes_(bytes_per_s, now) {}

  /// How long to wait before a publish of `bytes` fits both limits; zero means now.
  std::chrono::nanoseconds delay(std::size_t bytes, TimePoint now) {
    return std::max(publishes_.delay(1, now), bytes_.delay(static_cast<double>(bytes), now));
  }

  /// Records a publish of `bytes`. Alarms are taken even when they do not fit: they are
  /// never held back, but the telemetry behind them waits for the debt to clear.
  void take(std::size_t bytes, TimePoint now) {
    publishes_.take(1, now);
    bytes_.take(static_cast<double>(bytes), now);
  }

 private:
  class Bucket {
   public:
    Bucket(double rate, TimePoint now) : rate_(rate), level_(rate), last_(now) {}

    std::chrono::nanoseconds delay(double amount, TimePoint now) {
      if (rate_ <= 0) return {};
      refill(now);
      // A message bigger than a whole second's budget may go once the bucket is full.
      double needed = std::min(amount, rate_) - level_;
      if (needed <= 0) return {};
      // Rounded up, so the wait never ends before the bucket holds `amount`.
      return std::chrono::nanoseconds(static_cast<std::int64_t>(std::ceil(needed / rate_ * 1e9)));
    }
    void take(double amount, TimePoint now) {
      if (rate_ <= 0) return;
      refill(now);
      level_ -= std::min(amount, rate_);
    }

   private:
    void refill(TimePoint now) {
      double seconds = std::chrono::duration<double>(now - last_).count();
      if (seconds > 0) level_ = std::min(rate_, level_ + seconds * rate_);
      last_ = std::max(last_, now);
    }

    double rate_;
    double level_;
    TimePoint last_;
  };

  Bucket publishes_;
  Bucket bytes_;
};

}  // namespace edgegw
