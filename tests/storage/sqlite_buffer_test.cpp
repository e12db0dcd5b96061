#include "storage/sqlite_buffer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <condition_variable>
#include <fstream>
#include <future>
#include <mutex>
#include <thread>

#include "storage/sqlite_handle.h"
#include "tests/storage/storage_test_support.h"
#include "tests/temp_dir.h"
#include "tests/wait_for.h"

namespace edgegw {
namespace {

using edgegw::testing::make_alarm;
using edgegw::testing::make_readings;
using edgegw::testing::query_int;

class SqliteBufferTest : public testing::BufferTest {
 protected:
  SqliteBufferTest() {
    options_.flush_interval_ms = 1;  // group commit: appends close together share a commit
  }

  /// Appends `count` readings and returns them as stored, seqs included.
  std::vector<StoredReading> append_stored(SqliteBuffer& buffer, SeriesId series,
                                           std::int64_t first_ts, int count) {
    std::promise<std::pair<std::int64_t, std::int64_t>> range;
    auto batch = make_readings(series, first_ts, count);
    EXPECT_TRUE(buffer.append(batch, [&](AppendStatus status, std::int64_t first, std::int64_t last,
                                         std::span<const edgegw::Reading>) {
      EXPECT_EQ(status, AppendStatus::accepted);
      range.set_value({first, last});
    }));
    auto [first, last] = range.get_future().get();
    EXPECT_EQ(last - first + 1, count);
    std::vector<StoredReading> out;
    for (int i = 0; i < count; ++i) out.push_back({first + i, batch[static_cast<std::size_t>(i)]});
    return out;
  }

  /// Queues five readings from `first_ts` as an adapter does (nobody waits on them); `committed`
  /// counts the commits that took them.
  static bool append_from_adapter(SqliteBuffer& buffer, std::int64_t first_ts,
                                  std::atomic<int>& committed) {
    return buffer.append(
        make_readings(1, first_ts, 5),
        [&committed](AppendStatus, std::int64_t, std::int64_t, std::span<const Reading>) {
          ++committed;
        },
        SqliteBuffer::Waiter::nobody);
  }
};

TEST_F(SqliteBufferTest, BacklogSeriesInflightBundleSeqAndAlarmsSurviveRestart) {
  const SeriesSpec load{.name = "crane.load", .unit = "kg", .resolution = 0.1};
  const SeriesSpec wind{.name = "crane.wind", .unit = "m/s", .resolution = 0.5};
  const std::string payload("\x00\x01\xff\xfe bundle bytes \x00", 19);
  std::vector<StoredReading> stored;
  InflightBundle bundle;
  Alarm alarm{.kind = "overload",
              .series = "crane.load",
              .ts_ms = 1234,
              .value = 9.5,
              .message = "SWL",
              .severity = Severity::critical,
              .threshold = 9.0,
              .first_ts_ms = 1200,
              .last_ts_ms = 1234};
  SeriesId load_id = 0;
  SeriesId wind_id = 0;
  {
    auto buffer = open();
    load_id = buffer->register_series(load);
    wind_id = buffer->register_series(wind);
    stored = append_stored(*buffer, load_id, 1000, 60);
    auto more = append_stored(*buffer, wind_id, 2000, 40);
    stored.insert(stored.end(), more.begin(), more.end());
    auto unsent = buffer->read_unsent(30);
    ASSERT_EQ(unsent.size(), 30u);
    bundle = {.bundle_seq = buffer->next_bundle_seq(),
              .first_seq = unsent.front().seq,
              .last_seq = unsent.back().seq,
              .payload = payload};
    ASSERT_EQ(buffer->record_inflight(bundle, unsent.size()), RecordStatus::recorded);
    alarm.id = buffer->add_alarm(alarm);
    alarm.alarm_id = alarm.id;  // a raise names its excursion
    ASSERT_GT(alarm.id, 0);
  }

  auto buffer = open();
  ASSERT_EQ(buffer->catalog().all().size(), 2u);
  EXPECT_EQ(buffer->catalog().find("crane.load")->id, load_id);
  EXPECT_EQ(buffer->catalog().find(wind_id)->spec, wind);
  EXPECT_EQ(buffer->register_series(wind), wind_id);
  EXPECT_EQ(buffer->read_unsent(1000),
            std::vector<StoredReading>(stored.begin() + 30, stored.end()));
  ASSERT_EQ(buffer->inflight(), std::vector<InflightBundle>{bundle});
  EXPECT_EQ(buffer->inflight().front().payload, payload) << "resend must be byte-identical";
  EXPECT_EQ(buffer->next_bundle_seq(), bundle.bundle_seq + 1);
  EXPECT_EQ(buffer->pending_alarms(10), std::vector<Alarm>{alarm});
  auto stats = buffer->stats();
  EXPECT_EQ(stats.readings, 100);
  EXPECT_EQ(stats.inflight_bundles, 1);
  EXPECT_EQ(stats.alarms_pending, 1);
  EXPECT_EQ(stats.oldest_ts_ms, 1000);
}

TEST_F(SqliteBufferTest, AckDeletesExactlyTheBundlesRowsAndItsRecord) {
  auto buffer = open();
  auto stored = append_stored(*buffer, 1, 0, 30);
  InflightBundle a{buffer->next_bundle_seq(), stored[0].seq, stored[9].seq, "a"};
  ASSERT_EQ(buffer->record_inflight(a, 10), RecordStatus::recorded);
  InflightBundle b{buffer->next_bundle_seq(), stored[10].seq, stored[19].seq, "b"};
  ASSERT_EQ(buffer->record_inflight(b, 10), RecordStatus::recorded);

  EXPECT_TRUE(buffer->ack(a.bundle_seq));
  EXPECT_FALSE(buffer->ack(a.bundle_seq)) << "a second ack finds nothing";
  EXPECT_EQ(buffer->inflight(), std::vector<InflightBundle>{b});
  EXPECT_EQ(buffer->read_unsent(100),
            std::vector<StoredReading>(stored.begin() + 20, stored.end()));
  EXPECT_EQ(buffer->stats().readings, 20);
  EXPECT_EQ(query_int(options_.path, "SELECT min(seq) FROM readings"), stored[10].seq);

  EXPECT_TRUE(buffer->ack(b.bundle_seq));
  EXPECT_TRUE(buffer->inflight().empty());
  EXPECT_EQ(buffer->stats().readings, 10);
  EXPECT_EQ(buffer->stats().oldest_ts_ms, stored[20].reading.ts_ms);
  EXPECT_EQ(query_int(options_.path, "SELECT count(*) FROM readings"), 10);
}

TEST_F(SqliteBufferTest, ReadUnsentSkipsInflightRowsWhereverTheyAre) {
  auto buffer = open();
  auto stored = append_stored(*buffer, 1, 0, 30);
  ASSERT_EQ(buffer->record_inflight(
                {buffer->next_bundle_seq(), stored[10].seq, stored[19].seq, "mid"}, 10),
            RecordStatus::recorded);

  std::vector<StoredReading> expected(stored.begin(), stored.begin() + 10);
  expected.insert(expected.end(), stored.begin() + 20, stored.begin() + 25);
  EXPECT_EQ(buffer->read_unsent(15), expected);
  EXPECT_EQ(buffer->read_unsent(100).size(), 20u);
  EXPECT_TRUE(buffer->read_unsent(0).empty());
}

TEST_F(SqliteBufferTest, BundleSeqIsNeverReusedAcrossRestartEvenWhenEverythingWasAcked) {
  std::uint64_t used = 0;
  {
    auto buffer = open();
    EXPECT_EQ(buffer->next_bundle_seq(), 1u);
    auto stored = append_stored(*buffer, 1, 0, 5);
    used = buffer->next_bundle_seq();
    ASSERT_EQ(buffer->record_inflight({used, stored.front().seq, stored.back().seq, "x"}, 5),
              RecordStatus::recorded);
    ASSERT_TRUE(buffer->ack(used));
    EXPECT_EQ(buffer->stats().readings, 0);
  }
  auto buffer = open();
  EXPECT_EQ(buffer->next_bundle_seq(), used + 1);
  EXPECT_THROW(buffer->record_inflight({used, 1, 1, "again"}, 0), std::invalid_argument);
  EXPECT_TRUE(buffer->inflight().empty());
}

TEST_F(SqliteBufferTest, OverlappingInflightBundlesAreRefused) {
  auto buffer = open();
  auto stored = append_stored(*buffer, 1, 0, 10);
  ASSERT_EQ(
      buffer->record_inflight({buffer->next_bundle_seq(), stored[0].seq, stored[5].seq, "a"}, 6),
      RecordStatus::recorded);
  EXPECT_THROW(
      buffer->record_inflight({buffer->next_bundle_seq(), stored[5].seq, stored[9].seq, "b"}, 5),
      std::invalid_argument);
}

TEST_F(SqliteBufferTest, ABundleIsNotRecordedWhenRetentionDroppedSomeOfItsRowsAfterTheRead) {
  options_.max_age_s = 60;
  auto buffer = open();
  auto old_rows = append_stored(*buffer, 1, clock_.wall_ms() - 120'000, 10);
  auto fresh = append_stored(*buffer, 1, clock_.wall_ms(), 5);
  auto unsent = buffer->read_unsent(15);
  ASSERT_EQ(unsent.size(), 15u);
  // Retention runs between the bundler's read and its record: the old rows go.
  buffer->run_retention_now();
  ASSERT_EQ(buffer->stats().readings, 5);
  const InflightBundle bundle{buffer->next_bundle_seq(), unsent.front().seq, unsent.back().seq,
                              "p"};
  EXPECT_EQ(buffer->record_inflight(bundle, unsent.size()), RecordStatus::rows_missing)
      << "a bundle holding readings the buffer no longer has must not go out";
  EXPECT_TRUE(buffer->inflight().empty());
  EXPECT_EQ(buffer->next_bundle_seq(), bundle.bundle_seq) << "a bundle not recorded uses no seq";
  EXPECT_EQ(buffer->read_unsent(100), fresh);
}

TEST_F(SqliteBufferTest, BundlesRecordedTogetherStopAtTheFirstWhoseRowsRetentionDropped) {
  options_.max_age_s = 60;
  auto buffer = open();
  auto fresh = append_stored(*buffer, 1, clock_.wall_ms(), 10);
  auto old_rows = append_stored(*buffer, 1, clock_.wall_ms() - 120'000, 5);
  auto later = append_stored(*buffer, 1, clock_.wall_ms(), 5);
  buffer->run_retention_now();  // drops the five old rows between the read and the record
  const auto seq = buffer->next_bundle_seq();
  const std::vector<InflightBundle> bundles = {
      {seq, fresh[0].seq, fresh[4].seq, "a"},
      {seq + 1, fresh[5].seq, fresh[9].seq, "b"},
      {seq + 2, old_rows[0].seq, old_rows[4].seq, "c"},
      {seq + 3, later[0].seq, later[4].seq, "d"},
  };
  const std::vector<std::size_t> rows = {5, 5, 5, 5};
  const auto outcome = buffer->record_inflight(bundles, rows);
  EXPECT_EQ(outcome.recorded, 2u);
  EXPECT_EQ(outcome.stopped_by, RecordStatus::rows_missing);
  EXPECT_EQ(buffer->inflight(), std::vector<InflightBundle>(bundles.begin(), bundles.begin() + 2));
  EXPECT_EQ(buffer->next_bundle_seq(), seq + 2) << "the bundles not recorded use no seq";
}

TEST_F(SqliteBufferTest, BundlesRecordedTogetherMustNotOverlapEachOther) {
  auto buffer = open();
  auto stored = append_stored(*buffer, 1, 0, 10);
  const auto seq = buffer->next_bundle_seq();
  const std::vector<InflightBundle> bundles = {{seq, stored[0].seq, stored[5].seq, "a"},
                                               {seq + 1, stored[5].seq, stored[9].seq, "b"}};
  const std::vector<std::size_t> rows = {6, 5};
  EXPECT_THROW(buffer->record_inflight(bundles, rows), std::invalid_argument);
  EXPECT_TRUE(buffer->inflight().empty()) << "nothing of a refused batch is recorded";
}

TEST_F(SqliteBufferTest, ReadUnsentAfterStartsPastTheGivenSeqAndSaysWhereSeqsStand) {
  auto buffer = open();
  auto stored = append_stored(*buffer, 1, 0, 30);
  ASSERT_EQ(buffer->record_inflight(
                {buffer->next_bundle_seq(), stored[10].seq, stored[19].seq, "mid"}, 10),
            RecordStatus::recorded);

  auto after = buffer->read_unsent_after(stored[4].seq, 8);
  std::vector<StoredReading> expected(stored.begin() + 5, stored.begin() + 10);
  expected.insert(expected.end(), stored.begin() + 20, stored.begin() + 23);
  EXPECT_EQ(after.rows, expected) << "past the given seq, around the in-flight rows";
  EXPECT_EQ(after.next_seq, stored.back().seq + 1);
  EXPECT_EQ(buffer->read_unsent_after(stored.back().seq, 8).rows.size(), 0u);
}

TEST_F(SqliteBufferTest, ReadingUnsentRowsNeedsNoTurnOfTheStorageThread) {
  auto buffer = open();
  auto stored = append_stored(*buffer, 1, 0, 10);
  // The storage thread is busy until the read is done (or a minute has passed).
  std::promise<void> read_done;
  std::promise<bool> storage_waited_out;
  buffer->post([done = read_done.get_future().share(), &storage_waited_out] {
    storage_waited_out.set_value(done.wait_for(std::chrono::minutes(1)) ==
                                 std::future_status::timeout);
  });
  auto unsent = buffer->read_unsent_after(stored[1].seq, 100);
  read_done.set_value();
  EXPECT_FALSE(storage_waited_out.get_future().get()) << "the read did not wait for it";
  EXPECT_EQ(unsent.rows, std::vector<StoredReading>(stored.begin() + 2, stored.end()));
  EXPECT_EQ(unsent.next_seq, stored.back().seq + 1);
}

TEST_F(SqliteBufferTest, TheCommitListenerSeesEveryAcceptedBatchWithItsSeqs) {
  auto buffer = open();
  std::mutex mutex;
  std::vector<StoredReading> seen;
  buffer->set_commit_listener([&](std::int64_t first_seq, std::span<const Reading> batch) {
    std::lock_guard lock(mutex);
    for (const Reading& reading : batch) seen.push_back({first_seq++, reading});
  });
  append_stored(*buffer, 1, 0, 7);
  ASSERT_EQ(buffer->append_sync(make_readings(1, 100, 3)), AppendStatus::accepted);
  buffer->set_commit_listener({});
  append_stored(*buffer, 1, 200, 2);

  std::lock_guard lock(mutex);
  EXPECT_EQ(seen, buffer->read_unsent(10)) << "every batch until the listener was cleared";
}

TEST_F(SqliteBufferTest, RegisterSeriesKeepsIdsForeverAndStoresSpecChanges) {
  SeriesId load = 0;
  SeriesId wind = 0;
  {
    auto buffer = open();
    load = buffer->register_series({"load", "kg", 0.1});
    wind = buffer->register_series({"wind", "m/s", 0.5});
    EXPECT_NE(load, 0u);
    EXPECT_NE(load, wind);
    EXPECT_EQ(buffer->register_series({"load", "kg", 0.1}), load);
    EXPECT_EQ(buffer->register_series({"load", "t", 0.001}), load);
    EXPECT_EQ(buffer->catalog().find(load)->spec, (SeriesSpec{"load", "t", 0.001}));
  }
  auto buffer = open();
  EXPECT_EQ(buffer->catalog().find("load")->id, load);
  EXPECT_EQ(buffer->catalog().find("load")->spec, (SeriesSpec{"load", "t", 0.001}));
  EXPECT_EQ(buffer->register_series({"wind", "m/s", 0.5}), wind);
  SeriesId slew = buffer->register_series({"slew", "deg", 1});
  EXPECT_NE(slew, load);
  EXPECT_NE(slew, wind);
}

TEST_F(SqliteBufferTest, GroupCommitGivesEachBatchItsOwnConsecutiveSeqRange) {
  options_.batch_max_readings = 64;
  auto buffer = open();
  constexpr int kBatches = 200;
  std::mutex mutex;
  std::condition_variable done;
  std::vector<std::pair<std::int64_t, std::int64_t>> ranges;
  for (int i = 0; i < kBatches; ++i) {
    ASSERT_TRUE(buffer->append(make_readings(1, i * 10, 10),
                               [&](AppendStatus status, std::int64_t first, std::int64_t last,
                                   std::span<const edgegw::Reading>) {
                                 EXPECT_EQ(status, AppendStatus::accepted);
                                 std::lock_guard lock(mutex);
                                 ranges.emplace_back(first, last);
                                 done.notify_all();
                               }));
  }
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(
        done.wait_for(lock, std::chrono::seconds(30), [&] { return ranges.size() == kBatches; }));
  }
  for (std::size_t i = 0; i < ranges.size(); ++i) {
    EXPECT_EQ(ranges[i].second - ranges[i].first, 9);
    if (i > 0) {
      EXPECT_EQ(ranges[i].first, ranges[i - 1].second + 1) << "callbacks run in queue order";
    }
  }
  auto unsent = buffer->read_unsent(10 * kBatches);
  ASSERT_EQ(unsent.size(), 10u * kBatches);
  EXPECT_EQ(unsent[15].reading.ts_ms, 15);
  EXPECT_EQ(unsent[15].seq, ranges[1].first + 5);
}

TEST_F(SqliteBufferTest, AppendRefusesWhenTheQueueIsFullAndQueuesNothing) {
  options_.queue_max_readings = 20;
  auto buffer = open();
  std::promise<void> entered;
  std::promise<void> release;
  auto release_future = release.get_future();
  // The first callback holds the storage thread, so later appends stay queued.
  ASSERT_TRUE(buffer->append(make_readings(1, 0, 5), [&](AppendStatus, std::int64_t, std::int64_t,
                                                         std::span<const edgegw::Reading>) {
    entered.set_value();
    release_future.wait();
  }));
  entered.get_future().wait();

  std::atomic<int> accepted{0};
  auto count = [&](AppendStatus status, std::int64_t, std::int64_t,
                   std::span<const edgegw::Reading>) {
    if (status == AppendStatus::accepted) ++accepted;
  };
  EXPECT_TRUE(buffer->append(make_readings(1, 100, 10), count));
  EXPECT_TRUE(buffer->append(make_readings(1, 200, 10), count));
  EXPECT_FALSE(buffer->append(make_readings(1, 300, 1), count)) << "queue holds 20 readings";
  release.set_value();

  EXPECT_EQ(buffer->append_sync(make_readings(1, 400, 3)), AppendStatus::accepted);
  EXPECT_EQ(accepted.load(), 2);
  auto unsent = buffer->read_unsent(100);
  ASSERT_EQ(unsent.size(), 28u);
  for (const auto& row : unsent)
    EXPECT_NE(row.reading.ts_ms, 300) << "a refused batch is not stored";
}

TEST_F(SqliteBufferTest, DestructorCommitsEveryQueuedAppend) {
  options_.flush_interval_ms = 10'000;
  options_.batch_max_readings = 1'000'000;
  std::atomic<int> accepted{0};
  {
    auto buffer = open();
    for (int i = 0; i < 50; ++i) {
      ASSERT_TRUE(buffer->append(
          make_readings(1, i * 4, 4),
          [&](AppendStatus status, std::int64_t, std::int64_t, std::span<const edgegw::Reading>) {
            if (status == AppendStatus::accepted) ++accepted;
          }));
    }
  }
  EXPECT_EQ(accepted.load(), 50);
  EXPECT_EQ(query_int(options_.path, "SELECT count(*) FROM readings"), 200);
}

TEST_F(SqliteBufferTest, WaitForQueuedAppendsReturnsAfterEveryEarlierCallback) {
  options_.flush_interval_ms = 10'000;  // nothing would commit on its own for ten seconds
  options_.batch_max_readings = 1'000'000;
  auto buffer = open();
  std::atomic<int> accepted{0};
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(buffer->append(
        make_readings(1, i * 4, 4),
        [&](AppendStatus status, std::int64_t, std::int64_t, std::span<const edgegw::Reading>) {
          if (status == AppendStatus::accepted) ++accepted;
        }));
  }
  buffer->wait_for_queued_appends();
  EXPECT_EQ(accepted.load(), 50);
  EXPECT_EQ(buffer->stats().readings, 200);
}

TEST_F(SqliteBufferTest, AlarmsAreListedOldestFirstAndAckedById) {
  auto buffer = open();
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 3; ++i) {
    ids.push_back(buffer->add_alarm(make_alarm("motion", i, std::to_string(i))));
  }
  EXPECT_LT(ids[0], ids[1]);
  EXPECT_EQ(buffer->pending_alarms(2).size(), 2u);
  EXPECT_EQ(buffer->pending_alarms(2)[0].message, "0");
  EXPECT_TRUE(buffer->ack_alarm(ids[0]));
  EXPECT_FALSE(buffer->ack_alarm(ids[0]));
  EXPECT_EQ(buffer->pending_alarms(10).front().id, ids[1]);
  EXPECT_EQ(buffer->stats().alarms_pending, 2);
  ASSERT_TRUE(buffer->ack_alarm(ids[1]));
  ASSERT_TRUE(buffer->ack_alarm(ids[2]));
  buffer.reset();
  buffer = open();
  EXPECT_GT(buffer->add_alarm(make_alarm("motion")), ids[2]) << "alarm ids are never reused";
}

TEST_F(SqliteBufferTest, NanAndQualityRoundTrip) {
  auto buffer = open();
  std::vector<Reading> batch{
      {.series = 3, .ts_ms = 5, .value = std::nan(""), .quality = Quality::bad}};
  ASSERT_EQ(buffer->append_sync(batch), AppendStatus::accepted);
  auto unsent = buffer->read_unsent(1);
  ASSERT_EQ(unsent.size(), 1u);
  EXPECT_TRUE(std::isnan(unsent[0].reading.value));
  EXPECT_EQ(unsent[0].reading.quality, Quality::bad);
}

TEST_F(SqliteBufferTest, OpenRefusesADatabaseWithANewerSchema) {
  {
    SqliteConnection db(options_.path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    db.exec("PRAGMA user_version = 99");
  }
  try {
    open();
    FAIL() << "expected StorageError";
  } catch (const StorageError& error) {
    EXPECT_NE(std::string(error.what()).find("newer"), std::string::npos) << error.what();
  }
}

TEST_F(SqliteBufferTest, OpenExplainsAStorageDirectoryThatCannotBeCreated) {
  std::ofstream(dir_.file("not-a-dir")) << "x";
  options_.path = dir_.file("not-a-dir") + "/buffer.db";
  try {
    open();
    FAIL() << "expected StorageError";
  } catch (const StorageError& error) {
    EXPECT_NE(std::string(error.what()).find("storage directory"), std::string::npos)
        << error.what();
  }
}

TEST_F(SqliteBufferTest, OpenRejectsInvalidOptions) {
  options_.synchronous = "off";
  EXPECT_THROW(open(), std::invalid_argument);
}

TEST_F(SqliteBufferTest, AClearedAlarmKeepsItsExcursionsIdAndEveryFieldSurvivesARestart) {
  Alarm raised{.kind = "high_wind",
               .series = "crane.wind_speed_ms",
               .ts_ms = 1000,
               .value = 21.5,
               .message = "wind above 20 m/s",
               .severity = Severity::warning,
               .threshold = 20.0,
               .first_ts_ms = 1000,
               .last_ts_ms = 1000};
  Alarm cleared;
  {
    auto buffer = open();
    raised.id = buffer->add_alarm(raised);
    raised.alarm_id = raised.id;
    cleared = raised;
    cleared.state = AlarmState::cleared;
    cleared.ts_ms = cleared.last_ts_ms = 5000;
    cleared.value = 12.0;
    cleared.threshold.reset();
    cleared.id = buffer->add_alarm(cleared);
    EXPECT_NE(cleared.id, raised.id) << "each state is its own message";
  }
  auto buffer = open();
  EXPECT_EQ(buffer->pending_alarms(10), (std::vector<Alarm>{raised, cleared}));
}

TEST_F(SqliteBufferTest, SettingsOutliveARestart) {
  {
    auto buffer = open();
    EXPECT_EQ(buffer->setting("armed"), std::nullopt);
    ASSERT_TRUE(buffer->store_setting("armed", "false"));
    ASSERT_TRUE(buffer->store_setting("armed", "true"));
    ASSERT_TRUE(buffer->store_setting("scale.offset", "-8123"));
  }
  auto buffer = open();
  EXPECT_EQ(buffer->setting("armed"), "true");
  EXPECT_EQ(buffer->setting("scale.offset"), "-8123");
}

TEST_F(SqliteBufferTest, ABatchNobodyWaitsOnSharesTheCommitOfTheNextOneAClientWaitsOn) {
  options_.flush_interval_ms = 1;
  options_.adapter_flush_interval_ms = 10'000;
  auto buffer = open();
  std::atomic<int> committed{0};
  ASSERT_TRUE(append_from_adapter(*buffer, 0, committed));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(committed, 0) << "an adapter's batch may wait for company";
  EXPECT_EQ(buffer->append_sync(make_readings(1, 100, 3)), AppendStatus::accepted);
  EXPECT_EQ(committed, 1) << "it goes with the first batch someone waits on";
  EXPECT_EQ(buffer->stats().readings, 8);
}

TEST_F(SqliteBufferTest, AnAdaptersNextBatchJoinsTheQueueWithoutWakingTheStorageThread) {
  // After a commit that held an adapter's batch the thread sleeps one adapter flush interval
  // and commits whatever came meanwhile: at low rates, one wake-up and one sync per interval.
  options_.adapter_flush_interval_ms = 300;
  auto buffer = open();
  std::atomic<int> committed{0};
  ASSERT_TRUE(append_from_adapter(*buffer, 0, committed));
  ASSERT_TRUE(wait_for([&] { return committed == 1; }));
  const auto before = buffer->stats();
  ASSERT_TRUE(append_from_adapter(*buffer, 1000, committed));
  ASSERT_TRUE(append_from_adapter(*buffer, 2000, committed));
  ASSERT_TRUE(wait_for([&] { return committed == 3; }));
  const auto after = buffer->stats();
  EXPECT_EQ(after.append_commits - before.append_commits, 1u) << "both batches in one commit";
  EXPECT_EQ(after.storage_wakeups - before.storage_wakeups, 1u)
      << "woken once, by its own deadline, not by each append";
  EXPECT_EQ(after.readings, 15);
}

TEST_F(SqliteBufferTest, OnceTheAdaptersFallSilentTheStorageThreadStopsWakingForThem) {
  options_.adapter_flush_interval_ms = 50;
  auto buffer = open();
  std::atomic<int> committed{0};
  ASSERT_TRUE(append_from_adapter(*buffer, 0, committed));
  ASSERT_TRUE(wait_for([&] { return committed == 1; }));
  const auto before = buffer->stats().storage_wakeups;
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // ten intervals, nothing new
  EXPECT_LE(buffer->stats().storage_wakeups - before, 2u)
      << "one look after the interval, then asleep until there is work";
}

TEST(StorageOptionTable, DescribesEveryStorageKeyWithItsDefault) {
  auto docs = describe_options(storage_option_table());
  std::vector<std::string> keys;
  for (const auto& doc : docs) {
    keys.push_back(doc.key);
    EXPECT_FALSE(doc.description.empty()) << doc.key;
  }
  EXPECT_EQ(keys, (std::vector<std::string>{"path", "synchronous", "max_bytes", "max_age_s",
                                            "batch_max_readings", "flush_interval_ms",
                                            "adapter_flush_interval_ms", "queue_max_readings",
                                            "retention_interval_s", "reserve_bytes"}));
  EXPECT_EQ(docs[0].default_value, "\"/var/lib/edgegw/buffer.db\"");
  EXPECT_EQ(docs[9].default_value, "2097152");
  EXPECT_EQ(docs[1].default_value, "\"full\"");
  StorageOptions options;
  auto errors = fill_options(
      options, storage_option_table(),
      {{"synchronous", std::string("off")}, {"max_page_count_for_tests", std::int64_t{1}}});
  EXPECT_EQ(errors.size(), 2u) << "bad choice and the hidden test key are both rejected";
}

}  // namespace
}  // namespace edgegw
