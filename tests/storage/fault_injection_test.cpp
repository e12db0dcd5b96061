#include <gtest/gtest.h>

#include <algorithm>

#include "storage/sqlite_buffer.h"
#include "tests/fakes/faulty_vfs.h"
#include "tests/storage/storage_test_support.h"
#include "tests/temp_dir.h"

namespace edgegw {
namespace {

using edgegw::testing::FaultyVfs;
using edgegw::testing::make_alarm;
using edgegw::testing::make_readings;

std::int64_t count_ts(const std::vector<StoredReading>& rows, std::int64_t from, std::int64_t to) {
  return std::count_if(rows.begin(), rows.end(), [&](const StoredReading& row) {
    return row.reading.ts_ms >= from && row.reading.ts_ms <= to;
  });
}

// Beast-style: fail the n-th disk write (and all after it, as a dying or full disk does), for
// n = 1, 2, ... until a whole round of operations gets through. Every round: nothing accepted
// is lost, every batch is all-or-nothing, and once the disk is back the same buffer carries on.
void fail_every_write_in_turn(int error) {
  FaultyVfs::install();
  bool completed = false;
  int rounds = 0;
  for (int nth = 1; nth <= 500 && !completed; ++nth) {
    rounds = nth;
    SCOPED_TRACE("failing write " + std::to_string(nth));
    TempDir dir;
    ManualClock clock;
    StorageOptions options;
    options.path = dir.file("buffer.db");
    options.flush_interval_ms = 0;
    options.max_bytes = 0;
    options.max_age_s = 0;

    InflightBundle bundle;
    AppendStatus b = AppendStatus::failed;
    AppendStatus c = AppendStatus::failed;
    bool acked = false;
    std::int64_t alarm_id = 0;
    {
      auto buffer = SqliteBuffer::open(options, clock);
      ASSERT_EQ(buffer->append_sync(make_readings(1, 0, 100)), AppendStatus::accepted);
      auto rows = buffer->read_unsent(50);
      bundle = {buffer->next_bundle_seq(), rows.front().seq, rows.back().seq, "payload"};
      ASSERT_EQ(buffer->record_inflight(bundle, rows.size()), RecordStatus::recorded);

      FaultyVfs::arm(nth, error);
      b = buffer->append_sync(make_readings(1, 1000, 100));
      acked = buffer->ack(bundle.bundle_seq);
      alarm_id = buffer->add_alarm(make_alarm("motion"));
      c = buffer->append_sync(make_readings(1, 2000, 100));
      completed = !FaultyVfs::disarm();

      ASSERT_EQ(buffer->append_sync(make_readings(1, 3000, 100)), AppendStatus::accepted)
          << "the buffer recovers once the disk does";
    }

    auto buffer = SqliteBuffer::open(options, clock);
    auto unsent = buffer->read_unsent(10'000);
    auto stats = buffer->stats();
    EXPECT_EQ(count_ts(unsent, 50, 99) + stats.dropped.at("storage_full"), 50)
        << "accepted readings are only ever shed, and then counted";
    EXPECT_EQ(count_ts(unsent, 1000, 1099), b == AppendStatus::accepted ? 100 : 0);
    EXPECT_EQ(count_ts(unsent, 2000, 2099), c == AppendStatus::accepted ? 100 : 0);
    EXPECT_EQ(count_ts(unsent, 3000, 3099), 100);
    if (acked) {
      EXPECT_TRUE(buffer->inflight().empty());
    } else {
      EXPECT_EQ(buffer->inflight(), std::vector<InflightBundle>{bundle});
    }
    EXPECT_EQ(stats.readings, static_cast<std::int64_t>(unsent.size()) + (acked ? 0 : 50));
    EXPECT_EQ(stats.alarms_pending, alarm_id > 0 ? 1 : 0);
    if (completed) {
      EXPECT_EQ(b, AppendStatus::accepted);
      EXPECT_TRUE(acked);
    }
    if (::testing::Test::HasFailure()) return;
  }
  EXPECT_TRUE(completed) << "some round should get through without reaching the failing write";
  EXPECT_GT(rounds, 5) << "the operations above take more than a handful of writes";
}

TEST(StorageFaults, AnyFailedWriteLosesNoAcceptedReadingAndTheBufferRecovers) {
  fail_every_write_in_turn(SQLITE_IOERR_WRITE);
}

TEST(StorageFaults, AFullDiskAtAnyWriteLosesNoAcceptedReadingAndTheBufferRecovers) {
  fail_every_write_in_turn(SQLITE_FULL);
}

}  // namespace
}  // namespace edgegw
