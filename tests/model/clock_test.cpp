#include "gateway/model/clock.h"

#include <gtest/gtest.h>

#include <thread>

#include "tests/wait_for.h"

namespace edgegw {
namespace {

using namespace std::chrono_literals;
using TimePoint = std::chrono::steady_clock::time_point;

/// A thread asleep on a ManualClock until a deadline of its own, as a component's loop sleeps:
/// it records the clock's time when its wait ends and whether it ended by being told to.
class Sleeper {
 public:
  Sleeper(const ManualClock& clock, TimePoint deadline)
      : thread_([this, &clock, deadline] {
          std::unique_lock lock(mutex_);
          told_ = clock.wait_until(lock, cv_, deadline, [this] { return tell_; });
          woke_at_ = clock.monotonic();
          done_ = true;
        }) {}
  ~Sleeper() {
    tell();
    thread_.join();
  }

  void tell() {
    std::lock_guard lock(mutex_);
    tell_ = true;
    cv_.notify_all();
  }
  bool done() const {
    std::lock_guard lock(mutex_);
    return done_;
  }
  bool told() const {
    std::lock_guard lock(mutex_);
    return told_;
  }
  TimePoint woke_at() const {
    std::lock_guard lock(mutex_);
    return woke_at_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  bool tell_ = false;
  bool told_ = false;
  bool done_ = false;
  TimePoint woke_at_{};
  std::thread thread_;
};

TEST(ManualClockTest, AdvanceWakesAWaiterExactlyWhenTheClockReachesItsDeadline) {
  ManualClock clock;
  const auto deadline = clock.monotonic() + 100ms;
  Sleeper sleeper(clock, deadline);
  ASSERT_TRUE(wait_for([&] { return clock.next_deadline() == deadline; })) << "asleep";

  clock.advance(99ms);
  EXPECT_EQ(clock.next_deadline(), deadline) << "1 ms before its deadline it sleeps on";
  EXPECT_FALSE(sleeper.done());

  clock.advance(1ms);
  ASSERT_TRUE(wait_for([&] { return sleeper.done(); })) << "woken by advance(), not by time";
  EXPECT_EQ(sleeper.woke_at(), deadline);
  EXPECT_FALSE(sleeper.told());
  EXPECT_EQ(clock.next_deadline(), std::nullopt) << "the timer is gone once it fired";
}

TEST(ManualClockTest, OneAdvancePastSeveralDeadlinesWakesEachOfThemAndOnlyThem) {
  ManualClock clock;
  const auto start = clock.monotonic();
  Sleeper first(clock, start + 10ms);
  Sleeper second(clock, start + 20ms);
  Sleeper third(clock, start + 30ms);
  ASSERT_TRUE(wait_for([&] { return clock.sleepers() == 3; })) << "all three asleep";

  clock.advance(25ms);
  ASSERT_TRUE(wait_for([&] { return first.done() && second.done(); }));
  EXPECT_EQ(clock.sleepers(), 1u);
  EXPECT_EQ(clock.next_deadline(), start + 30ms) << "the third still sleeps";
  EXPECT_FALSE(third.done());
  EXPECT_EQ(first.woke_at(), start + 25ms);
}

TEST(ManualClockTest, ANotifyEndsTheWaitBeforeTheDeadline) {
  ManualClock clock;
  const auto deadline = clock.monotonic() + 1h;
  Sleeper sleeper(clock, deadline);
  ASSERT_TRUE(wait_for([&] { return clock.next_deadline() == deadline; }));
  sleeper.tell();
  ASSERT_TRUE(wait_for([&] { return sleeper.done(); }));
  EXPECT_TRUE(sleeper.told());
  EXPECT_EQ(sleeper.woke_at(), deadline - 1h) << "no time passed";
  EXPECT_EQ(clock.next_deadline(), std::nullopt);
}

TEST(ManualClockTest, ADeadlineAlreadyReachedDoesNotWait) {
  ManualClock clock;
  std::mutex mutex;
  std::condition_variable cv;
  std::unique_lock lock(mutex);
  EXPECT_FALSE(clock.wait_until(lock, cv, clock.monotonic(), [] { return false; }));
  EXPECT_TRUE(lock.owns_lock());
  EXPECT_EQ(clock.next_deadline(), std::nullopt);
}

TEST(ManualClockTest, ManyAdvancesRacingAWaiterNeverLoseItsWakeUp) {
  // The waiter registers its timer while advance() runs on another thread: whatever the
  // interleaving, it wakes once the clock has passed its deadline.
  ManualClock clock;
  for (int round = 0; round < 200; ++round) {
    const auto deadline = clock.monotonic() + 3ms;
    std::thread advancer([&] {
      for (int i = 0; i < 5; ++i) clock.advance(1ms);
    });
    {
      Sleeper sleeper(clock, deadline);
      advancer.join();
      ASSERT_TRUE(wait_for([&] { return sleeper.done(); }, 5s)) << "round " << round;
      EXPECT_GE(sleeper.woke_at(), deadline);
    }
  }
}

}  // namespace
}  // namespace edgegw
