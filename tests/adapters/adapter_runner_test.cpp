#include "adapters/adapter_runner.h"

#include <gtest/gtest.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <deque>
#include <mutex>

#include "tests/fakes/recording_sink.h"
#include "tests/wait_for.h"

namespace edgegw {
namespace {

using edgegw::testing::RecordingSink;
using namespace std::chrono_literals;

/// A source that does what the test scripts: opens that fail, reads that fail or lose the
/// link, and a fixed reading per read. Every call is recorded, so the runner's order of calls
/// can be checked.
class ScriptedSource final : public Source {
 public:
  /// One scripted read: what it reports, and whether it appends a reading.
  struct Step {
    SourceRead result;
    bool produce = true;
  };
  struct Script {
    int refused_opens = 0;
    std::deque<Step> results;  ///< per read, then plain successes
    std::chrono::milliseconds period{1};
    int wake_fd = -1;  ///< when set, reads are due only when it is readable
  };

  explicit ScriptedSource(Script script) : script_(std::move(script)) {}

  const std::string& name() const override { return name_; }
  std::vector<SeriesSpec> series() const override {
    return {{.name = "scripted.value", .unit = "", .resolution = 0}};
  }
  void bind(std::vector<SeriesId> ids) override { id_ = ids.at(0); }
  ReconnectBackoff::Settings reopen_backoff() const override {
    return {.min = 1ms, .max = 4ms, .stable_after = 1h};
  }
  std::string open() override {
    std::lock_guard lock(mutex_);
    ++opens_;
    if (script_.refused_opens > 0) {
      --script_.refused_opens;
      return "refused #" + std::to_string(opens_);
    }
    open_ = true;
    return {};
  }
  void close() override {
    std::lock_guard lock(mutex_);
    EXPECT_TRUE(open_) << "close() only while open";
    open_ = false;
    ++closes_;
  }
  SourceRead read(std::vector<Reading>& out, const StopSignal&) override {
    std::lock_guard lock(mutex_);
    EXPECT_TRUE(open_) << "read() only while open";
    EXPECT_TRUE(out.empty()) << "each read starts with an empty batch";
    if (script_.wake_fd >= 0) {
      std::uint64_t count = 0;
      if (::read(script_.wake_fd, &count, sizeof count) < 0) return {.errors = {"woken by no fd"}};
    }
    ++reads_;
    Step step;
    if (!script_.results.empty()) {
      step = script_.results.front();
      script_.results.pop_front();
    }
    if (step.produce && !step.result.lost) {
      out.push_back({.series = id_, .ts_ms = reads_, .value = static_cast<double>(reads_)});
    }
    return step.result;
  }
  ReadDue next_read(std::chrono::steady_clock::time_point started) const override {
    if (script_.wake_fd >= 0) return {.at = std::nullopt, .fd = script_.wake_fd};
    return {.at = started + script_.period, .fd = -1};
  }

  int opens() const {
    std::lock_guard lock(mutex_);
    return opens_;
  }
  int closes() const {
    std::lock_guard lock(mutex_);
    return closes_;
  }
  std::int64_t reads() const {
    std::lock_guard lock(mutex_);
    return reads_;
  }

 private:
  std::string name_ = "scripted";
  mutable std::mutex mutex_;
  Script script_;
  SeriesId id_ = 0;
  bool open_ = false;
  int opens_ = 0;
  int closes_ = 0;
  std::int64_t reads_ = 0;
};

struct RunnerUnderTest {
  explicit RunnerUnderTest(ScriptedSource::Script script) {
    auto owned = std::make_unique<ScriptedSource>(std::move(script));
    source = owned.get();
    runner = std::make_unique<AdapterRunner>(std::move(owned), clock);
  }
  SystemClock clock;
  ScriptedSource* source = nullptr;
  std::unique_ptr<AdapterRunner> runner;
};

TEST(AdapterRunner, ARefusedOfferIsOfferedAgainWithNothingLostOrDoubled) {
  RunnerUnderTest run({});
  RecordingSink sink(25);
  run.runner->start(sink, {7});
  ASSERT_TRUE(wait_for([&] { return sink.taken().size() >= 20; }));
  run.runner->stop();
  EXPECT_EQ(run.runner->refused_offers(), 25u);
  const auto taken = sink.taken();
  EXPECT_EQ(taken.size(), run.runner->delivered_readings());
  EXPECT_EQ(static_cast<std::int64_t>(taken.size()), run.source->reads())
      << "no read starts while a batch waits";
  for (std::size_t i = 0; i < taken.size(); ++i) {
    EXPECT_EQ(taken[i].value, static_cast<double>(i + 1)) << "in order, each once";
    EXPECT_EQ(taken[i].series, 7u);
  }
}

TEST(AdapterRunner, RefusedOpensAreCountedAndRetriedUntilTheSourceOpens) {
  ScriptedSource::Script script;
  script.refused_opens = 5;
  RunnerUnderTest run(std::move(script));
  RecordingSink sink;
  run.runner->start(sink, {7});
  ASSERT_TRUE(wait_for([&] { return !sink.taken().empty(); }));
  EXPECT_EQ(run.source->opens(), 6);
  const auto health = run.runner->health();
  EXPECT_EQ(health.errors, 5u);
  EXPECT_EQ(health.last_error, "refused #5");
  EXPECT_TRUE(wait_for([&] { return run.runner->health().up; }));
  run.runner->stop();
  EXPECT_EQ(run.source->closes(), 1) << "closed once, at stop";
}

TEST(AdapterRunner, ALostLinkClosesTheSourceAndOpensItAgain) {
  ScriptedSource::Script script;
  script.results = {{}, {.result = {.errors = {"gone"}, .lost = true, .more = false}}};
  RunnerUnderTest run(std::move(script));
  RecordingSink sink;
  run.runner->start(sink, {7});
  ASSERT_TRUE(wait_for([&] { return sink.taken().size() >= 5; }));
  run.runner->stop();
  EXPECT_EQ(run.source->opens(), 2);
  EXPECT_EQ(run.source->closes(), 2) << "after the loss, and at stop";
  EXPECT_EQ(run.runner->health().errors, 1u);
  EXPECT_EQ(run.runner->health().last_error, "gone");
}

TEST(AdapterRunner, APartlyFailedReadKeepsTheSourceUpAndAFailedOneTakesItDown) {
  // A read with an error and readings (one Modbus block of several), then one with an error
  // and none (a weighing that failed), then an hour's wait the test looks into.
  ScriptedSource::Script script;
  script.results = {
      {.result = {.errors = {"block 2"}, .lost = false, .more = false}},
      {.result = {.errors = {"no data"}, .lost = false, .more = false}, .produce = false}};
  script.period = 1ms;
  RunnerUnderTest run(std::move(script));
  RecordingSink sink;
  run.runner->start(sink, {7});
  ASSERT_TRUE(wait_for([&] { return run.runner->health().errors == 2; }));
  EXPECT_FALSE(sink.taken().empty()) << "the partly failed read's readings were delivered";
  ASSERT_TRUE(wait_for([&] { return run.runner->health().up; })) << "later plain reads are up";
  run.runner->stop();
}

TEST(AdapterRunner, AReadThatFailedWithNothingReadIsDownUntilOneWorks) {
  ScriptedSource::Script script;
  script.results = {
      {.result = {.errors = {"no data"}, .lost = false, .more = false}, .produce = false}};
  script.period = 1h;  // one read, then a long wait the test can look into
  RunnerUnderTest run(std::move(script));
  RecordingSink sink;
  run.runner->start(sink, {7});
  ASSERT_TRUE(wait_for([&] { return run.source->reads() == 1; }));
  ASSERT_TRUE(wait_for([&] { return run.runner->health().errors == 1; }));
  EXPECT_FALSE(run.runner->health().up) << "down while running, not only after stop";
  EXPECT_EQ(run.runner->health().last_error, "no data");
  EXPECT_TRUE(sink.taken().empty());
  const auto asked = std::chrono::steady_clock::now();
  run.runner->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - asked, 1s) << "stop waited out the period";
}

TEST(AdapterRunner, AnEventSourceIsReadWhenItsFdIsReadable) {
  const int fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  ASSERT_GE(fd, 0);
  ScriptedSource::Script script;
  script.wake_fd = fd;
  RunnerUnderTest run(std::move(script));
  RecordingSink sink;
  // The first read comes at once after the open (nothing to wait for yet): make it readable.
  const std::uint64_t one = 1;
  ASSERT_EQ(::write(fd, &one, sizeof one), 8);
  run.runner->start(sink, {7});
  ASSERT_TRUE(wait_for([&] { return run.source->reads() == 1; }));
  std::this_thread::sleep_for(30ms);
  EXPECT_EQ(run.source->reads(), 1) << "no read without the fd";
  ASSERT_EQ(::write(fd, &one, sizeof one), 8);
  ASSERT_TRUE(wait_for([&] { return run.source->reads() == 2; }));
  const auto asked = std::chrono::steady_clock::now();
  run.runner->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - asked, 1s) << "stop wakes a wait on the fd";
  ::close(fd);
}

TEST(AdapterRunner, MoreDueIsReadAgainWithoutWaiting) {
  ScriptedSource::Script script;
  script.period = 1h;
  for (int i = 0; i < 10; ++i) {
    script.results.push_back({.result = {.errors = {}, .lost = false, .more = true}});
  }
  RunnerUnderTest run(std::move(script));
  RecordingSink sink;
  run.runner->start(sink, {7});
  ASSERT_TRUE(wait_for([&] { return sink.taken().size() == 11; }));
  run.runner->stop();
  EXPECT_EQ(run.source->reads(), 11) << "ten reads that had more, then one that waits an hour";
}

TEST(AdapterRunner, StopDuringTheReopenBackoffReturnsPromptly) {
  ScriptedSource::Script script;
  script.refused_opens = 1'000'000;
  RunnerUnderTest run(std::move(script));
  RecordingSink sink;
  run.runner->start(sink, {7});
  ASSERT_TRUE(wait_for([&] { return run.runner->health().errors >= 3; }));
  const auto asked = std::chrono::steady_clock::now();
  run.runner->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - asked, 1s);
  EXPECT_EQ(run.source->closes(), 0) << "never opened, so never closed";
  EXPECT_FALSE(run.runner->health().up);
}

TEST(AdapterRunner, CanBeStartedAgainAfterStop) {
  RunnerUnderTest run({});
  RecordingSink sink;
  run.runner->start(sink, {7});
  ASSERT_TRUE(wait_for([&] { return sink.taken().size() >= 2; }));
  run.runner->stop();
  const auto before = sink.taken().size();
  run.runner->start(sink, {7});
  ASSERT_TRUE(wait_for([&] { return sink.taken().size() >= before + 2; }));
  run.runner->stop();
  EXPECT_EQ(run.source->opens(), 2);
}

}  // namespace
}  // namespace edgegw
