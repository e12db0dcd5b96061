// The buffer on a really full filesystem (a 4 MB tmpfs), beside the max_page_count tests in
// full_disk_test.cpp: there the WAL can still grow, here nothing can, not even a DELETE's WAL
// frames, unless the buffer kept room of its own.
#include "tests/small_filesystem.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "storage/sqlite_buffer.h"
#include "tests/storage/storage_test_support.h"

namespace edgegw {
namespace {

using edgegw::testing::make_alarm;
using edgegw::testing::make_readings;

constexpr std::size_t kFilesystemBytes = 4 * 1024 * 1024;
constexpr std::int64_t kReserveBytes = 512 * 1024;

class SmallFilesystemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!SmallFilesystem::can_mount()) GTEST_SKIP() << "mounting a tmpfs needs root";
    fs_ = std::make_unique<SmallFilesystem>(kFilesystemBytes);
    options_.path = fs_->file("buffer.db");
    options_.synchronous = "normal";
    options_.max_bytes = 0;
    options_.max_age_s = 0;
    options_.flush_interval_ms = 0;
    options_.retention_interval_s = 86400;
    options_.reserve_bytes = kReserveBytes;
  }

  std::unique_ptr<SqliteBuffer> open() { return SqliteBuffer::open(options_, clock_); }

  /// Sends and acknowledges bundles of up to `per_bundle` readings until none are left, as the
  /// uplink does; returns how many readings went out. Fails the test on the first refusal.
  std::int64_t drain(SqliteBuffer& buffer, std::size_t per_bundle = 2000) {
    std::int64_t drained = 0;
    for (;;) {
      auto rows = buffer.read_unsent(per_bundle);
      if (rows.empty()) return drained;
      const InflightBundle bundle{buffer.next_bundle_seq(), rows.front().seq, rows.back().seq,
                                  std::string(5000, 'b')};
      if (buffer.record_inflight(bundle, rows.size()) != RecordStatus::recorded) {
        ADD_FAILURE() << "bundle " << bundle.bundle_seq << " could not be recorded in flight";
        return drained;
      }
      if (!buffer.ack(bundle.bundle_seq)) {
        ADD_FAILURE() << "bundle " << bundle.bundle_seq << " could not be acknowledged";
        return drained;
      }
      drained += static_cast<std::int64_t>(rows.size());
    }
  }

  std::unique_ptr<SmallFilesystem> fs_;
  StorageOptions options_;
  ManualClock clock_;
};

TEST_F(SmallFilesystemTest, FilledByItsOwnReadingsTheBufferStillDrainsAndThenAcceptsAgain) {
  auto buffer = open();
  std::int64_t accepted = 0;
  // Until the filesystem is full: then old readings are shed for new ones (or refused).
  for (int batch = 0; batch < 400 && buffer->stats().dropped.at("storage_full") == 0; ++batch) {
    const AppendStatus status = buffer->append_sync(make_readings(1, batch * 2000, 2000));
    if (status == AppendStatus::accepted) accepted += 2000;
    if (status == AppendStatus::storage_full) break;
  }
  ASSERT_LT(fs_->free_bytes(), static_cast<std::size_t>(kReserveBytes))
      << "the filesystem never filled";

  const std::int64_t drained = drain(*buffer);
  const auto stats = buffer->stats();
  EXPECT_EQ(stats.readings, 0);
  EXPECT_EQ(drained + stats.dropped.at("storage_full"), accepted)
      << "every accepted reading was sent or counted as dropped";

  // The drain freed room inside the database: new readings fit again, without shedding.
  const std::int64_t dropped_before = stats.dropped.at("storage_full");
  for (int batch = 0; batch < 20; ++batch) {
    ASSERT_EQ(buffer->append_sync(make_readings(1, 1'000'000 + batch * 2000, 2000)),
              AppendStatus::accepted)
        << batch;
  }
  EXPECT_EQ(buffer->stats().dropped.at("storage_full"), dropped_before);
  EXPECT_EQ(drain(*buffer), 40'000);

  // The database gives free pages back to the filesystem, and the reserve is held again.
  EXPECT_EQ(testing::query_int(options_.path, "PRAGMA auto_vacuum"), 2) << "incremental";
  clock_.advance(std::chrono::seconds(5));
  ASSERT_EQ(buffer->append_sync(make_readings(1, 2'000'000, 100)), AppendStatus::accepted);
  EXPECT_EQ(buffer->stats().reserve_bytes_held, kReserveBytes);
}

TEST_F(SmallFilesystemTest, FilledBySomeoneElsesFileTheBufferDrainsAndAcceptsOnceSpaceIsFreed) {
  auto buffer = open();
  auto append_batches = [&](std::int64_t first_ts) {
    for (int batch = 0; batch < 10; ++batch) {
      ASSERT_EQ(buffer->append_sync(make_readings(1, first_ts + batch * 2000, 2000)),
                AppendStatus::accepted)
          << batch;
    }
  };
  append_batches(0);
  EXPECT_EQ(buffer->stats().reserve_bytes_held, kReserveBytes);
  ASSERT_GT(fs_->fill("syslog"), 0u);
  ASSERT_EQ(fs_->free_bytes(), 0u);

  EXPECT_GT(buffer->add_alarm(make_alarm("theft")), 0) << "an alarm raised while full is stored";
  EXPECT_EQ(drain(*buffer), 20'000) << "what the buffer holds keeps going out, none of it shed";
  ASSERT_EQ(buffer->pending_alarms(10).size(), 1u);
  EXPECT_TRUE(buffer->ack_alarm(buffer->pending_alarms(10).front().id));

  fs_->remove("syslog");
  clock_.advance(std::chrono::seconds(5));
  append_batches(100'000);
  EXPECT_EQ(buffer->stats().dropped.at("storage_full"), 0);
  EXPECT_EQ(buffer->stats().reserve_bytes_held, kReserveBytes)
      << "held again once the space returned";
  EXPECT_EQ(std::filesystem::file_size(options_.path + ".reserve"),
            static_cast<std::uintmax_t>(kReserveBytes));
  EXPECT_EQ(drain(*buffer), 20'000);
}

TEST_F(SmallFilesystemTest, AReserveLargerThanTheFilesystemTakesNothingAndTheBufferStillWorks) {
  options_.reserve_bytes = 8 * 1024 * 1024;  // more than the whole filesystem
  auto buffer = open();
  EXPECT_EQ(buffer->stats().reserve_bytes_held, 0);
  EXPECT_FALSE(std::filesystem::exists(options_.path + ".reserve"))
      << "a reserve that cannot be had takes nothing";
  ASSERT_EQ(buffer->append_sync(make_readings(1, 0, 1000)), AppendStatus::accepted);
}

}  // namespace
}  // namespace edgegw
