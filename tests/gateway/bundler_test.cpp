#include "gateway/uplink/bundler.h"

#include <gtest/gtest.h>

#include "proto/bundle_decoder.h"

namespace edgegw {
namespace {

using namespace std::chrono_literals;

constexpr std::int64_t kStart = 1'700'000'000'000;
constexpr std::chrono::milliseconds kLatency = 60s;

class BundlerTest : public ::testing::Test {
 protected:
  BundlerTest() {
    catalog_.insert({.id = 1, .spec = {.name = "load_g", .unit = "g", .resolution = 0.1}});
  }

  /// `count` readings 100 ms apart from `ts`.
  static std::vector<Reading> batch(std::size_t count, std::int64_t ts = kStart) {
    std::vector<Reading> out;
    for (std::size_t i = 0; i < count; ++i) {
      out.push_back({.series = 1,
                     .ts_ms = ts + 100 * static_cast<std::int64_t>(i),
                     .value = 500.0 + 0.1 * static_cast<double>(i % 7)});
    }
    return out;
  }

  /// Caught up on an empty buffer whose next seq is `next_seq`.
  void start_caught_up(std::int64_t next_seq = 1) {
    bundler_.restart(1, next_seq - 1);
    bundler_.add_read({.rows = {}, .next_seq = next_seq}, /*complete=*/true);
  }

  /// Every reading the closed bundles hold, decoded, in order.
  std::vector<std::int64_t> closed_timestamps() {
    std::vector<std::int64_t> out;
    for (const auto& closed : bundler_.closed()) {
      auto decoded = decode_bundle(closed.bundle.payload);
      EXPECT_EQ(decoded.readings.size(), closed.readings);
      for (const auto& r : decoded.readings) out.push_back(r.ts_ms);
    }
    return out;
  }

  SeriesCatalog catalog_;
  BundlePacker packer_{{.gateway_id = "gw", .budget_bytes = 512}, catalog_};
  Bundler bundler_{packer_, kLatency};
};

TEST_F(BundlerTest, CommittedBatchesThatFollowFillBundlesThatCloseWhenFull) {
  start_caught_up();
  auto readings = batch(1000);
  ASSERT_TRUE(bundler_.add_committed(1, std::span(readings).first(150)));
  ASSERT_TRUE(bundler_.add_committed(151, std::span(readings).subspan(150)));

  auto& closed = bundler_.closed();
  ASSERT_GE(closed.size(), 2u);
  std::int64_t next_first = 1;
  std::uint64_t next_bundle = 1;
  for (const auto& bundle : closed) {
    EXPECT_EQ(bundle.bundle.bundle_seq, next_bundle++);
    EXPECT_EQ(bundle.bundle.first_seq, next_first);
    EXPECT_EQ(bundle.bundle.last_seq - bundle.bundle.first_seq + 1,
              static_cast<std::int64_t>(bundle.readings));
    EXPECT_LE(bundle.bundle.payload.size(), 512u);
    next_first = bundle.bundle.last_seq + 1;
  }
  EXPECT_EQ(bundler_.after_seq(), 1000);
  auto ts = closed_timestamps();
  for (std::size_t i = 0; i < ts.size(); ++i) EXPECT_EQ(ts[i], readings[i].ts_ms) << i;
  EXPECT_LT(ts.size(), readings.size()) << "the last readings wait in the open bundle";
}

TEST_F(BundlerTest, ABatchThatDoesNotFollowIsNotTakenAndLeavesTheBundlerBehind) {
  start_caught_up(10);
  auto readings = batch(5);
  EXPECT_FALSE(bundler_.add_committed(12, readings)) << "seqs 10 and 11 would be skipped";
  EXPECT_FALSE(bundler_.caught_up());
  EXPECT_FALSE(bundler_.add_committed(10, readings)) << "behind, only a read catches up";
  EXPECT_EQ(bundler_.after_seq(), 9);
  EXPECT_FALSE(bundler_.due_in(kStart).has_value()) << "nothing taken";
}

TEST_F(BundlerTest, ABatchTheCatchingUpReadHeldAlreadyIsNotTakenAgainNorLeavesItBehind) {
  // The read was bounded after seqs 1..5 were committed, and their commit comes after it.
  bundler_.restart(1, 0);
  auto readings = batch(8);
  UnsentRows read{.rows = {}, .next_seq = 6};
  for (std::int64_t seq = 1; seq <= 5; ++seq) {
    read.rows.push_back({seq, readings[static_cast<std::size_t>(seq - 1)]});
  }
  bundler_.add_read(read, /*complete=*/true);
  EXPECT_TRUE(bundler_.add_committed(1, std::span(readings).first(5)));
  EXPECT_TRUE(bundler_.caught_up()) << "nothing to read back";
  ASSERT_TRUE(bundler_.add_committed(6, std::span(readings).subspan(5)));
  bundler_.close_if_due(kStart, /*force=*/true);
  ASSERT_EQ(bundler_.closed().size(), 1u);
  EXPECT_EQ(bundler_.closed().front().readings, 8u) << "each reading once";
  EXPECT_EQ(bundler_.closed().front().bundle.last_seq, 8);
}

TEST_F(BundlerTest, ARowReadAgainIsNotBundledTwice) {
  bundler_.restart(1, 0);
  auto readings = batch(3);
  UnsentRows first{.rows = {{1, readings[0]}, {2, readings[1]}}, .next_seq = 3};
  bundler_.add_read(first, /*complete=*/false);
  UnsentRows overlapping{.rows = {{2, readings[1]}, {3, readings[2]}}, .next_seq = 4};
  bundler_.add_read(overlapping, /*complete=*/true);
  ASSERT_TRUE(bundler_.caught_up());
  bundler_.close_if_due(kStart, /*force=*/true);
  ASSERT_EQ(bundler_.closed().size(), 1u);
  EXPECT_EQ(bundler_.closed().front().readings, 3u);
  EXPECT_EQ(closed_timestamps(), (std::vector<std::int64_t>{kStart, kStart + 100, kStart + 200}));
}

TEST_F(BundlerTest, APartialBundleClosesExactlyWhenItsOldestReadingHasWaitedMaxLatency) {
  start_caught_up();
  auto readings = batch(3, kStart);
  ASSERT_TRUE(bundler_.add_committed(1, readings));
  const std::int64_t due = kStart + kLatency.count();
  EXPECT_EQ(bundler_.due_in(kStart + 1000), kLatency - 1s);

  bundler_.close_if_due(due - 1, false);
  EXPECT_TRUE(bundler_.closed().empty()) << "one millisecond early";
  bundler_.close_if_due(due, false);
  ASSERT_EQ(bundler_.closed().size(), 1u);
  EXPECT_EQ(bundler_.closed().front().readings, 3u);
  EXPECT_FALSE(bundler_.due_in(due).has_value()) << "no open bundle left";
}

TEST_F(BundlerTest, BehindItKeepsADueBundleOpenForTheRowsStillToBeRead) {
  bundler_.restart(1, 0);
  auto readings = batch(2);
  bundler_.add_read({.rows = {{1, readings[0]}, {2, readings[1]}}, .next_seq = 3},
                    /*complete=*/false);
  bundler_.close_if_due(kStart + 10 * kLatency.count(), /*force=*/true);
  EXPECT_TRUE(bundler_.closed().empty()) << "more rows are waiting in the buffer";
}

TEST_F(BundlerTest, RebuildingDropsTheFrontBundleAndWhatFollowsAndNumbersThemAgain) {
  start_caught_up();
  auto readings = batch(1000);
  ASSERT_TRUE(bundler_.add_committed(1, readings));
  ASSERT_GE(bundler_.closed().size(), 2u);
  const ClosedBundle front = bundler_.closed().front();
  bundler_.closed().pop_front();  // taken to be recorded

  bundler_.rebuild_from(front.bundle);
  EXPECT_TRUE(bundler_.closed().empty());
  EXPECT_FALSE(bundler_.caught_up());
  EXPECT_EQ(bundler_.after_seq(), front.bundle.first_seq - 1);
  EXPECT_FALSE(bundler_.due_in(kStart).has_value()) << "the open bundle went too";

  // Retention took the first 10 rows; the rest is read back and bundled under the same seq.
  UnsentRows rest{.rows = {}, .next_seq = 1001};
  for (std::int64_t seq = 11; seq <= 1000; ++seq) {
    rest.rows.push_back({seq, readings[static_cast<std::size_t>(seq - 1)]});
  }
  bundler_.add_read(rest, /*complete=*/true);
  ASSERT_FALSE(bundler_.closed().empty());
  EXPECT_EQ(bundler_.closed().front().bundle.bundle_seq, front.bundle.bundle_seq);
  EXPECT_EQ(bundler_.closed().front().bundle.first_seq, 11);
}

}  // namespace
}  // namespace edgegw
