#include "gateway/uplink/uplink.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <thread>

#include "gateway/model/clock.h"
#include "proto/bundle_decoder.h"
#include "proto/bundle_packer.h"
#include "tests/fakes/fake_transport.h"
#include "tests/temp_dir.h"
#include "tests/wait_for.h"

namespace edgegw {
namespace {

using namespace std::chrono_literals;

class UplinkTest : public ::testing::Test {
 protected:
  void SetUp() override { open(); }
  void TearDown() override { close(); }

  /// Opens the buffer and an uplink stepped by the test; `threaded`: an uplink running its own
  /// thread, as the gateway runs it, asleep on the manual clock between steps.
  void open(Uplink::Options options = default_options(), bool threaded = false) {
    StorageOptions storage;
    storage.path = dir_.file("buffer.db");
    storage.synchronous = "normal";
    storage.max_age_s = max_age_s_;
    buffer_ = SqliteBuffer::open(storage, clock_);
    series_ = buffer_->register_series({.name = "load_g", .unit = "g", .resolution = 0.1});
    packer_ = std::make_unique<BundlePacker>(
        PackerOptions{
            .gateway_id = "gw-test", .budget_bytes = 512, .encoding = BundleEncoding::proto},
        buffer_->catalog());
    transport_ = std::make_unique<FakeTransport>();
    uplink_ = std::make_unique<Uplink>(*buffer_, *packer_, *transport_, clock_, options);
    if (threaded) {
      uplink_->start();
    } else {
      uplink_->connect();
    }
  }

  void close() {
    uplink_.reset();
    packer_.reset();
    buffer_.reset();
  }

  static Uplink::Options default_options() {
    return {.telemetry_topic = "t/telemetry", .alarm_topic = "t/alarms", .max_latency = kLatency};
  }

  /// Appends n readings 100 ms apart, ending at the clock's current time.
  void append(int n) {
    std::vector<Reading> batch;
    for (int i = 0; i < n; ++i) {
      batch.push_back({.series = series_,
                       .ts_ms = clock_.wall_ms() - 100 * (n - 1 - i),
                       .value = 500.0 + 0.1 * (i % 7)});
    }
    ASSERT_EQ(buffer_->append_sync(std::move(batch)), AppendStatus::accepted);
  }

  /// Stores a theft alarm now and tells the uplink, as ingest does.
  void raise_theft_alarm() {
    buffer_->add_alarm({.kind = "theft",
                        .series = "load_g",
                        .ts_ms = clock_.wall_ms(),
                        .value = 1.5,
                        .message = "box lifted"});
    uplink_->alarm_raised();
  }

  /// Steps until the uplink would wait with no storage work outstanding; returns how many
  /// publishes that produced.
  std::size_t settle() {
    auto before = transport_->published().size();
    for (int i = 0; i < 100'000; ++i) {
      if (uplink_->step() == 0ns) continue;
      if (uplink_->idle()) break;
      std::this_thread::sleep_for(100us);
    }
    return transport_->published().size() - before;
  }

  /// A threaded uplink, connected, with one bundle of 10 readings published and not yet
  /// acknowledged.
  void run_with_one_bundle_out() {
    close();
    open(default_options(), /*threaded=*/true);
    transport_->up();
    append(10);
    uplink_->request_flush();
    ASSERT_TRUE(wait_for([&] { return transport_->publish_count() == 1; }));
  }

  static constexpr std::chrono::milliseconds kLatency{60'000};
  std::int64_t max_age_s_ = 0;
  TempDir dir_;
  ManualClock clock_;
  std::unique_ptr<FakeTransport> transport_;
  std::unique_ptr<SqliteBuffer> buffer_;
  SeriesId series_ = 0;
  std::unique_ptr<BundlePacker> packer_;
  std::unique_ptr<Uplink> uplink_;
};

TEST_F(UplinkTest, ABundleResentAfterAReconnectCountsItsReadingsOnceAndIsBilledForEachSend) {
  std::vector<Uplink::Published> published;
  close();
  StorageOptions storage;
  storage.path = dir_.file("buffer.db");
  storage.synchronous = "normal";
  buffer_ = SqliteBuffer::open(storage, clock_);
  packer_ = std::make_unique<BundlePacker>(
      PackerOptions{
          .gateway_id = "gw-test", .budget_bytes = 512, .encoding = BundleEncoding::proto},
      buffer_->catalog());
  uplink_ = std::make_unique<Uplink>(*buffer_, *packer_, *transport_, clock_, default_options(),
                                     [&](const Uplink::Published& p) { published.push_back(p); });
  uplink_->connect();
  transport_->up();
  append(10);
  uplink_->request_flush();
  ASSERT_EQ(settle(), 1u);
  transport_->down();  // the PUBACK never came
  transport_->up();
  ASSERT_EQ(settle(), 1u) << "the same bundle again";
  transport_->ack(transport_->published().back().token);
  settle();
  ASSERT_EQ(published.size(), 2u) << "each publish is billed";
  EXPECT_EQ(published[0].readings, 10u) << "the readings are counted at the first send";
  EXPECT_EQ(published[1].readings, 0u) << "and not again at the resend";
  EXPECT_EQ(uplink_->stats().readings_acked, 10u) << "the resent bundle's readings, acknowledged";
  EXPECT_EQ(uplink_->stats().bundles_acked, 1u);
}

TEST_F(UplinkTest, HoldsAPartialBundleUntilItsOldestReadingHasWaitedMaxLatency) {
  transport_->up();
  append(10);
  clock_.advance(kLatency - 1ms - 900ms);
  EXPECT_EQ(settle(), 0u) << "oldest reading has waited 59 999 ms";
  clock_.advance(1ms);
  EXPECT_EQ(settle(), 1u) << "oldest reading has waited exactly max_latency";
  EXPECT_EQ(decode_bundle(transport_->published()[0].payload).readings.size(), 10u);
  EXPECT_EQ(transport_->published()[0].topic, "t/telemetry");
  EXPECT_EQ(buffer_->stats().readings, 10) << "nothing is deleted before the ack";
  transport_->ack_all();
  settle();
  EXPECT_EQ(buffer_->stats().readings, 0) << "acknowledged rows are deleted";
  EXPECT_EQ(uplink_->stats().bundles_acked, 1u);
}

TEST_F(UplinkTest, FullBundlesGoAtOnceAndTheWindowBoundsWhatIsInFlight) {
  close();
  auto options = default_options();
  options.inflight_window = 3;
  open(options);
  transport_->up();
  append(5000);
  EXPECT_EQ(settle(), 3u) << "no more than the window without acks";
  EXPECT_EQ(uplink_->stats().inflight, 3u);
  transport_->ack(transport_->published()[0].token);
  EXPECT_EQ(settle(), 1u) << "each ack opens one slot";
  std::size_t delivered = 0;
  for (int round = 0; round < 100 && buffer_->stats().readings > 0; ++round) {
    transport_->ack_all();
    clock_.advance(kLatency);
    settle();
  }
  for (const auto& p : transport_->published()) {
    EXPECT_LE(p.payload.size(), 512u);
    delivered += decode_bundle(p.payload).readings.size();
  }
  EXPECT_EQ(delivered, 5000u);
  EXPECT_EQ(buffer_->stats().readings, 0);
}

TEST_F(UplinkTest, AcksThatComeWhileADeleteRunsAreDeletedTogetherInTheNextOne) {
  transport_->up();
  append(5000);
  ASSERT_GE(settle(), 3u);
  const auto published = transport_->published();
  const auto deletes_before = uplink_->stats().storage_deletes;
  // Holds the storage thread, so the first delete stays on it while more acks come.
  std::promise<void> release;
  buffer_->post([gate = release.get_future().share()] { gate.wait(); });
  transport_->ack(published[0].token);
  uplink_->step();
  transport_->ack(published[1].token);
  uplink_->step();
  transport_->ack(published[2].token);
  uplink_->step();
  EXPECT_EQ(uplink_->stats().storage_deletes, deletes_before + 1)
      << "the later acks wait for the delete on the storage thread";
  release.set_value();
  settle();
  EXPECT_EQ(uplink_->stats().storage_deletes, deletes_before + 2) << "both in one transaction";
  EXPECT_EQ(uplink_->stats().bundles_acked, 3u);
  std::size_t acked_readings = 0;
  for (int i = 0; i < 3; ++i) acked_readings += decode_bundle(published[i].payload).readings.size();
  EXPECT_EQ(buffer_->stats().readings, static_cast<std::int64_t>(5000 - acked_readings));
}

TEST_F(UplinkTest, ReadingsRetentionDropsFromTheOpenBundleAreNeverPublished) {
  close();
  max_age_s_ = 60;
  open();
  transport_->up();
  append(10);  // up to 0.9 s old
  EXPECT_EQ(settle(), 0u) << "the bundle waits for max_latency";
  clock_.advance(std::chrono::seconds(61));
  buffer_->run_retention_now();  // before the uplink's next step closes the bundle
  ASSERT_EQ(buffer_->stats().readings, 0);
  append(5);

  ASSERT_EQ(settle(), 0u) << "the dropped readings went, and the fresh ones wait";
  uplink_->request_flush();
  ASSERT_EQ(settle(), 1u);
  const auto decoded = decode_bundle(transport_->published().back().payload);
  ASSERT_EQ(decoded.readings.size(), 5u) << "only the readings still stored";
  EXPECT_EQ(decoded.readings.front().ts_ms, clock_.wall_ms() - 400);
  transport_->ack_all();
  settle();
  EXPECT_EQ(buffer_->stats().readings, 0);
}

TEST_F(UplinkTest, OfflineReadingsWaitInTheBufferAndDrainOnConnect) {
  append(3000);
  clock_.advance(kLatency);
  EXPECT_EQ(settle(), 0u) << "nothing is published while the transport is down";
  EXPECT_EQ(buffer_->stats().inflight_bundles, 0) << "and nothing is packed for later";
  transport_->up();
  EXPECT_GT(settle(), 1u);
}

TEST_F(UplinkTest, CommitsThatOvertakeABacklogReadAreBundledOnceAndInOrder) {
  append(30);  // a backlog, read back once connected
  // Holds the reader thread, so the backlog read stays out while more readings commit.
  std::promise<void> release;
  buffer_->post_read([gate = release.get_future().share()] { gate.wait(); });
  transport_->up();
  uplink_->step();
  ASSERT_EQ(uplink_->stats().storage_reads, 1u);
  clock_.advance(1s);
  append(10);  // its commit reaches the uplink before the read does
  clock_.advance(1s);
  append(10);
  uplink_->step();
  release.set_value();
  settle();
  uplink_->request_flush();
  settle();
  std::vector<std::int64_t> timestamps;
  for (const auto& published : transport_->published()) {
    for (const auto& reading : decode_bundle(published.payload).readings) {
      timestamps.push_back(reading.ts_ms);
    }
  }
  ASSERT_EQ(timestamps.size(), 50u) << "every reading once";
  EXPECT_TRUE(std::is_sorted(timestamps.begin(), timestamps.end()));
  EXPECT_EQ(std::adjacent_find(timestamps.begin(), timestamps.end()), timestamps.end());
}

TEST_F(UplinkTest, AConnectionLossResendsInFlightBundlesWithTheSameSeqAndBytes) {
  transport_->up();
  append(10);
  clock_.advance(kLatency);
  ASSERT_EQ(settle(), 1u);
  auto first = transport_->published()[0];
  transport_->down();
  settle();
  transport_->ack(first.token);  // a late ack for the lost connection is ignored
  transport_->up();
  ASSERT_EQ(settle(), 1u);
  EXPECT_EQ(transport_->published()[1].token, first.token);
  EXPECT_EQ(transport_->published()[1].payload, first.payload);
  EXPECT_EQ(buffer_->stats().readings, 10);
  EXPECT_EQ(uplink_->stats().reconnects, 1u);
}

TEST_F(UplinkTest, BundlesInFlightAtACrashAreResentByteIdenticalAfterRestart) {
  transport_->up();
  append(10);
  clock_.advance(kLatency);
  ASSERT_EQ(settle(), 1u);
  auto first = transport_->published()[0];
  close();  // the crash: no ack ever came
  open();
  transport_->up();
  ASSERT_EQ(settle(), 1u);
  EXPECT_EQ(transport_->published()[0].token, first.token);
  EXPECT_EQ(transport_->published()[0].payload, first.payload);
  transport_->ack_all();
  settle();
  append(1);
  uplink_->request_flush();
  ASSERT_EQ(settle(), 1u);
  EXPECT_GT(transport_->published()[1].token, first.token) << "a bundle_seq is never reused";
}

TEST_F(UplinkTest, AlarmsGoOutBeforeTheBacklogAndAreDeletedOnlyWhenAcknowledged) {
  append(3000);
  clock_.advance(kLatency);
  raise_theft_alarm();
  transport_->up();
  settle();
  ASSERT_GE(transport_->published().size(), 2u);
  EXPECT_EQ(transport_->published()[0].topic, "t/alarms");
  EXPECT_NE(transport_->published()[0].payload.find("\"kind\":\"theft\""), std::string::npos)
      << transport_->published()[0].payload;
  EXPECT_NE(transport_->published()[0].payload.find("\"gateway_id\":\"gw-test\""),
            std::string::npos);
  EXPECT_EQ(transport_->published()[1].topic, "t/telemetry");
  EXPECT_EQ(buffer_->stats().alarms_pending, 1) << "kept until acknowledged";
  transport_->ack(transport_->published()[0].token);
  settle();
  EXPECT_EQ(buffer_->stats().alarms_pending, 0);
  EXPECT_EQ(uplink_->stats().alarms_acked, 1u);
}

TEST_F(UplinkTest, ARefusedBundleIsKeptAndItsLaneHoldsOffUntilTheRetryTime) {
  close();
  auto options = default_options();
  options.refused_retry = std::chrono::seconds(30);
  open(options);
  transport_->up();
  append(10);
  uplink_->request_flush();
  ASSERT_EQ(settle(), 1u);
  const auto refused = transport_->published()[0];
  transport_->refuse(refused.token);
  EXPECT_EQ(settle(), 0u) << "not sent again at once";
  EXPECT_EQ(buffer_->stats().readings, 10) << "its rows stay";
  EXPECT_EQ(uplink_->stats().publishes_refused, 1u);
  EXPECT_EQ(uplink_->stats().last_refusal, "t/telemetry: reason code 135: Not authorized");
  EXPECT_EQ(uplink_->stats().bundles_acked, 0u);

  append(10);
  uplink_->request_flush();
  clock_.advance(std::chrono::milliseconds(29'999));
  EXPECT_EQ(settle(), 0u) << "the whole telemetry lane holds off, new bundles too";
  clock_.advance(std::chrono::milliseconds(1));
  ASSERT_EQ(settle(), 2u) << "at the retry time: the refused bundle first, then the new one";
  EXPECT_EQ(transport_->published()[1].token, refused.token);
  EXPECT_EQ(transport_->published()[1].payload, refused.payload) << "byte-identical";
  transport_->ack_all();
  settle();
  EXPECT_EQ(buffer_->stats().readings, 0);
  EXPECT_EQ(uplink_->stats().readings_acked, 20u);
}

TEST_F(UplinkTest, ARefusedAlarmStaysPendingWhileTelemetryGoesOn) {
  transport_->up();
  raise_theft_alarm();
  ASSERT_EQ(settle(), 1u);
  transport_->refuse(transport_->published()[0].token);
  append(10);
  uplink_->request_flush();
  ASSERT_EQ(settle(), 1u);
  EXPECT_EQ(transport_->published()[1].topic, "t/telemetry") << "the other lane is not held";
  EXPECT_EQ(buffer_->stats().alarms_pending, 1);
  clock_.advance(default_options().refused_retry);
  ASSERT_EQ(settle(), 1u);
  EXPECT_EQ(transport_->published()[2].topic, "t/alarms");
}

TEST_F(UplinkTest, AFailedPublishOnALiveConnectionGoesAgainAfterASecondNotInALoop) {
  transport_->up();
  append(10);
  uplink_->request_flush();
  ASSERT_EQ(settle(), 1u);
  transport_->fail(transport_->published()[0].token, 0x89);  // server busy
  EXPECT_EQ(settle(), 0u);
  clock_.advance(std::chrono::seconds(1));
  ASSERT_EQ(settle(), 1u);
  transport_->fail(transport_->published()[1].token, 0);  // no PUBACK, the connection holds
  EXPECT_EQ(settle(), 0u);
  clock_.advance(std::chrono::milliseconds(999));
  EXPECT_EQ(settle(), 0u);
  clock_.advance(std::chrono::milliseconds(1));
  ASSERT_EQ(settle(), 1u);
  EXPECT_EQ(transport_->published()[2].token, transport_->published()[0].token);
  EXPECT_EQ(uplink_->stats().publishes_refused, 0u);
}

TEST_F(UplinkTest, AfterAReconnectAnAlarmThatFailedStillGoesBeforeTheBacklog) {
  transport_->up();
  raise_theft_alarm();
  ASSERT_EQ(settle(), 1u);
  transport_->fail(transport_->published()[0].token, 0);  // failed as the connection went
  transport_->down();
  append(3000);      // full bundles: they go without waiting for max_latency
  transport_->up();  // at once: the failure's one-second hold ends with the old connection
  ASSERT_GE(settle(), 2u);
  EXPECT_EQ(transport_->published()[1].topic, "t/alarms");
  EXPECT_EQ(transport_->published()[2].topic, "t/telemetry");
}

TEST_F(UplinkTest, StatsRecordEachAcknowledgedBundlesSizeAndEachLanesLatency) {
  transport_->up();
  append(3000);
  ASSERT_GE(settle(), 2u);
  clock_.advance(250ms);
  transport_->ack(transport_->published()[0].token);
  clock_.advance(1000ms);
  transport_->ack(transport_->published()[1].token);
  settle();
  buffer_->add_alarm({.kind = "theft",
                      .series = "",
                      .ts_ms = clock_.wall_ms(),
                      .value = 0,
                      .message = "box lifted"});
  uplink_->alarm_raised();
  settle();
  ASSERT_EQ(transport_->published().back().topic, "t/alarms");
  clock_.advance(20ms);
  transport_->ack(transport_->published().back().token);
  settle();

  const auto stats = uplink_->stats();
  EXPECT_EQ(stats.bundle_bytes.count(), 2u);
  EXPECT_DOUBLE_EQ(stats.bundle_bytes.sum(),
                   static_cast<double>(transport_->published()[0].payload.size() +
                                       transport_->published()[1].payload.size()));
  EXPECT_EQ(stats.bundle_latency_s.count(), 2u);
  EXPECT_DOUBLE_EQ(stats.bundle_latency_s.sum(), 0.25 + 1.25) << "each from its own publish";
  EXPECT_EQ(stats.alarm_latency_s.count(), 1u);
  EXPECT_DOUBLE_EQ(stats.alarm_latency_s.sum(), 0.02);
}

TEST_F(UplinkTest, TheRateShaperSpacesPublishes) {
  close();
  auto options = default_options();
  options.max_publishes_per_s = 2;
  options.inflight_window = 100;
  open(options);
  transport_->up();
  append(5000);
  EXPECT_EQ(settle(), 2u) << "a full bucket: one second's worth";
  clock_.advance(499ms);
  EXPECT_EQ(settle(), 0u);
  clock_.advance(1ms);
  EXPECT_EQ(settle(), 1u) << "one more publish every 500 ms";
}

TEST_F(UplinkTest, ControlMessagesGoFirstAndShareTheRateShaperWithEverythingElse) {
  close();
  auto options = default_options();
  options.max_publishes_per_s = 2;
  options.inflight_window = 100;
  open(options);
  append(5000);
  raise_theft_alarm();
  uplink_->publish_control("t/responses", R"({"id":"1","status":200})");
  uplink_->publish_control("t/responses", R"({"id":"2","status":200})");
  transport_->up();
  ASSERT_EQ(settle(), 3u) << "the answers use up one second's worth; an alarm is never held";
  EXPECT_EQ(transport_->published()[0].topic, "t/responses");
  EXPECT_EQ(transport_->published()[1].topic, "t/responses");
  EXPECT_EQ(transport_->published()[2].topic, "t/alarms");
  clock_.advance(999ms);
  EXPECT_EQ(settle(), 0u) << "telemetry waits until all three are paid for";
  clock_.advance(1ms);
  ASSERT_EQ(settle(), 1u);
  EXPECT_EQ(transport_->published()[3].topic, "t/telemetry");
}

TEST_F(UplinkTest, WhileOfflineOnlyTheNewestControlMessagesWaitAndEachGoesOnce) {
  for (std::size_t i = 0; i < Uplink::kMaxControlQueued + 3; ++i) {
    uplink_->publish_control("t/responses", std::to_string(i));
  }
  transport_->up();
  ASSERT_EQ(settle(), Uplink::kMaxControlQueued);
  EXPECT_EQ(transport_->published().front().payload, "3") << "the oldest three were dropped";
  EXPECT_EQ(transport_->published().back().payload, std::to_string(Uplink::kMaxControlQueued + 2));
  transport_->down();
  transport_->up();
  EXPECT_EQ(settle(), 0u) << "at most once: not sent again on the next connection";
}

TEST_F(UplinkTest, AnAlarmAcknowledgedWhileTheNextReadIsOutIsNotSentAgain) {
  transport_->up();
  raise_theft_alarm();
  ASSERT_EQ(settle(), 1u);
  const auto first = transport_->published()[0];
  raise_theft_alarm();
  uplink_->step();  // reads the pending alarms off the uplink thread: the first is among them
  transport_->ack(first.token);
  ASSERT_EQ(settle(), 1u) << "only the new alarm goes";
  EXPECT_NE(transport_->published()[1].token, first.token);
  transport_->ack_all();
  settle();
  EXPECT_EQ(buffer_->stats().alarms_pending, 0);
  EXPECT_EQ(uplink_->stats().alarms_acked, 2u);
}

// The same edges with the uplink's own thread: it sleeps until exactly the next deadline, and
// the manual clock wakes it there.
TEST_F(UplinkTest, ItsThreadSleepsUntilTheOpenBundleIsDueAndPublishesItThen) {
  close();
  open(default_options(), /*threaded=*/true);
  transport_->up();
  append(10);  // the oldest reading is 900 ms old
  const auto due = clock_.monotonic() + kLatency - 900ms;
  clock_.advance(kLatency - 900ms - 1ms);
  ASSERT_TRUE(wait_for([&] { return clock_.next_deadline() == due; }))
      << "asleep until the bundle is due, 1 ms from now";
  EXPECT_EQ(transport_->publish_count(), 0u);
  clock_.advance(1ms);
  ASSERT_TRUE(wait_for([&] { return transport_->publish_count() == 1; }));
  EXPECT_EQ(decode_bundle(transport_->published()[0].payload).readings.size(), 10u);
}

TEST_F(UplinkTest, ItsThreadSleepsOutTheRateShapersDelayToTheMillisecond) {
  close();
  auto options = default_options();
  options.max_publishes_per_s = 2;
  options.inflight_window = 100;
  open(options, /*threaded=*/true);
  transport_->up();
  append(5000);
  ASSERT_TRUE(wait_for([&] { return transport_->publish_count() == 2; })) << "a full bucket";
  const auto next = clock_.monotonic() + 500ms;
  ASSERT_TRUE(wait_for([&] { return clock_.next_deadline() == next; }))
      << "asleep until the bucket holds one more publish";
  clock_.advance(499ms);
  ASSERT_TRUE(wait_for([&] { return clock_.next_deadline() == next; }));
  EXPECT_EQ(transport_->publish_count(), 2u);
  clock_.advance(1ms);
  ASSERT_TRUE(wait_for([&] { return transport_->publish_count() == 3; }));
}

// Stopping gracefully (SIGTERM, a restart job): what is out is waited for, nothing new goes.
TEST_F(UplinkTest, StoppingWaitsForWhatIsOutAndSendsTheLastControlMessagesButNoNewBundle) {
  ASSERT_NO_FATAL_FAILURE(run_with_one_bundle_out());
  append(10);  // committed while stopping: kept in the buffer, not published
  std::thread stopping([&] { uplink_->stop(); });
  uplink_->publish_control("t/jobs/update", R"({"status":"SUCCEEDED"})");
  ASSERT_TRUE(wait_for([&] { return transport_->publish_count() == 2; }))
      << "a job's last status still goes";
  EXPECT_EQ(transport_->published()[1].topic, "t/jobs/update");
  transport_->ack_all();
  stopping.join();  // returns once both are acknowledged, with no time passing on the clock
  EXPECT_EQ(transport_->publish_count(), 2u);
  EXPECT_TRUE(buffer_->inflight().empty()) << "the acknowledged bundle is deleted";
  EXPECT_EQ(buffer_->stats().readings, 10) << "the readings behind it wait for the next start";
}

TEST_F(UplinkTest, StoppingGivesUpWaitingAfterTheDrainTimeAndKeepsWhatIsInFlight) {
  ASSERT_NO_FATAL_FAILURE(run_with_one_bundle_out());
  std::atomic<bool> stopped = false;
  std::thread stopping([&] {
    uplink_->stop(2s);
    stopped = true;
  });
  const auto deadline = clock_.monotonic() + 2s;
  ASSERT_TRUE(wait_for([&] { return clock_.next_deadline() == deadline; }))
      << "asleep until the drain time is up";
  EXPECT_FALSE(stopped);
  clock_.advance(2s);
  stopping.join();
  EXPECT_EQ(buffer_->inflight().size(), 1u) << "unacknowledged: resent at the next start";
}

TEST_F(UplinkTest, AMaxLatencyChangedWhileRunningHoldsForTheOpenBundle) {
  transport_->up();
  append(10);
  clock_.advance(9s);
  EXPECT_EQ(settle(), 0u);
  uplink_->set_max_latency(10s);
  EXPECT_EQ(settle(), 0u) << "oldest reading has waited 9.9 s of 10";
  clock_.advance(100ms);
  EXPECT_EQ(settle(), 1u) << "closed at the new max_latency, not the old 60 s";
}

}  // namespace
}  // namespace edgegw
