#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <vector>

namespace edgegw {

/// Source of time, injected everywhere so tests can drive it by hand.
class Clock {
 public:
  virtual ~Clock() = default;
  /// Unix time in milliseconds (may jump when NTP corrects the wall clock).
  virtual std::int64_t wall_ms() const = 0;
  /// Monotonic time for timeouts and rates.
  virtual std::chrono::steady_clock::time_point monotonic() const = 0;

  /// Blocks on `cv` (with `lock` held on entry and on return) until it is notified or this
  /// clock's monotonic() reaches `deadline`; may return early, like any condition wait. A
  /// thread that sleeps until a deadline of its own sleeps through this, so that a test's
  /// ManualClock wakes it exactly when advance() reaches the deadline.
  virtual void wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                          std::chrono::steady_clock::time_point deadline) const = 0;

  /// Waits until `done()` holds or `deadline` passes; returns done().
  template <typename Predicate>
  bool wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                  std::chrono::steady_clock::time_point deadline, Predicate done) const {
    while (!done()) {
      if (monotonic() >= deadline) return false;
      wait_until(lock, cv, deadline);
    }
    return true;
  }
};

class SystemClock final : public Clock {
 public:
  using Clock::wait_until;
  std::int64_t wall_ms() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  std::chrono::steady_clock::time_point monotonic() const override {
    return std::chrono::steady_clock::now();
  }
  void wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                  std::chrono::steady_clock::time_point deadline) const override {
    cv.wait_until(lock, deadline);
  }
};

/// A clock that moves only when told to: tests and deterministic simulations. A thread waiting
/// in wait_until() is a timer: advance() wakes it the moment the clock reaches its deadline,
/// and not a nanosecond before, so time-driven behaviour is tested at its exact edges without
/// sleeping.
class ManualClock final : public Clock {
 public:
  using Clock::wait_until;

  explicit ManualClock(std::int64_t start_wall_ms = 1'700'000'000'000) : wall_ms_(start_wall_ms) {}

  std::int64_t wall_ms() const override {
    std::lock_guard lock(mutex_);
    return wall_ms_;
  }
  std::chrono::steady_clock::time_point monotonic() const override {
    std::lock_guard lock(mutex_);
    return now();
  }

  void wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                  std::chrono::steady_clock::time_point deadline) const override {
    std::list<Timer>::iterator timer;
    {
      std::lock_guard guard(mutex_);
      if (now() >= deadline) return;
      timer = timers_.insert(timers_.end(), {.at = deadline, .cv = &cv, .mutex = lock.mutex()});
    }
    // advance() notifies while holding the waiter's mutex, which this thread holds until it is
    // inside wait(): a deadline reached in between cannot be missed.
    cv.wait(lock);
    std::unique_lock guard(mutex_);
    if (timer->firing) {
      // advance() is about to lock the waiter's mutex to notify it: let it, then forget the
      // timer. Never holding both mutexes at once keeps the two orders from deadlocking.
      lock.unlock();
      fired_.wait(guard, [&] { return !timer->firing; });
      timers_.erase(timer);
      guard.unlock();
      lock.lock();
      return;
    }
    timers_.erase(timer);
  }

  /// Moves both clocks on by `step` and wakes every waiter whose deadline is reached.
  void advance(std::chrono::milliseconds step) {
    std::vector<std::list<Timer>::iterator> due;
    {
      std::lock_guard lock(mutex_);
      wall_ms_ += step.count();
      mono_ms_ += step.count();
      for (auto it = timers_.begin(); it != timers_.end(); ++it) {
        if (it->at <= now() && !it->firing) {
          it->firing = true;
          due.push_back(it);
        }
      }
    }
    for (auto timer : due) {
      {
        std::lock_guard waiter(*timer->mutex);
        timer->cv->notify_all();
      }
      std::lock_guard lock(mutex_);
      timer->firing = false;
    }
    if (!due.empty()) fired_.notify_all();
  }

  /// The earliest deadline a thread is waiting for, if any: a test waits for a component's
  /// thread to be asleep on the deadline it expects before it advances the clock.
  std::optional<std::chrono::steady_clock::time_point> next_deadline() const {
    std::lock_guard lock(mutex_);
    std::optional<std::chrono::steady_clock::time_point> earliest;
    for (const auto& timer : timers_) {
      if (!earliest || timer.at < *earliest) earliest = timer.at;
    }
    return earliest;
  }

  /// How many threads are asleep on a deadline.
  std::size_t sleepers() const {
    std::lock_guard lock(mutex_);
    return timers_.size();
  }

 private:
  struct Timer {
    std::chrono::steady_clock::time_point at;
    std::condition_variable* cv;
    std::mutex* mutex;
    bool firing = false;
  };

  std::chrono::steady_clock::time_point now() const {
    return std::chrono::steady_clock::time_point(std::chrono::milliseconds(mono_ms_));
  }

  mutable std::mutex mutex_;
  mutable std::condition_variable fired_;
  mutable std::list<Timer> timers_;
  std::int64_t wall_ms_;
  std::int64_t mono_ms_ = 0;
};

}  // namespace edgegw
