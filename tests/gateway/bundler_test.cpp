#include "gateway/uplink/bundler.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "gateway/model/clock.h"
#include "proto/bundle_decoder.h"
#include "proto/bundle_packer.h"
#include "tests/temp_dir.h"

namespace edgegw {
namespace {

/// Records what it is given; fails the next `fail_next` deliveries.
class RecordingSink final : public BundleSink {
 public:
  bool deliver(const InflightBundle& bundle) override {
    if (fail_next > 0) {
      --fail_next;
      return false;
    }
    delivered.push_back(bundle);
    return true;
  }
  std::size_t metered_overhead_bytes() const override { return 0; }

  int fail_next = 0;
  std::vector<InflightBundle> delivered;
};

class BundlerTest : public ::testing::Test {
 protected:
  void SetUp() override { open(); }

  void open() {
    StorageOptions options;
    options.path = (dir_.path() / "buffer.db").string();
    options.synchronous = "normal";
    buffer_ = SqliteBuffer::open(options, clock_);
    series_ = buffer_->register_series({.name = "load_g", .unit = "g", .resolution = 0.1});
    packer_ = std::make_unique<BundlePacker>(
        PackerOptions{.gateway_id = "gw-test", .budget_bytes = 512,
                      .encoding = BundleEncoding::proto},
        buffer_->catalog());
    bundler_ = std::make_unique<Bundler>(*buffer_, *packer_, sink_, clock_, kLatency);
  }

  void close() {
    bundler_.reset();
    packer_.reset();
    buffer_.reset();
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

  static constexpr std::chrono::milliseconds kLatency{60'000};
  TempDir dir_;
  ManualClock clock_;
  RecordingSink sink_;
  std::unique_ptr<SqliteBuffer> buffer_;
  SeriesId series_ = 0;
  std::unique_ptr<BundlePacker> packer_;
  std::unique_ptr<Bundler> bundler_;
};

TEST_F(BundlerTest, HoldsAPartialBundleUntilItsOldestReadingHasWaitedMaxLatency) {
  append(10);
  clock_.advance(kLatency - std::chrono::milliseconds(1) - std::chrono::milliseconds(900));
  EXPECT_FALSE(bundler_->step()) << "oldest reading has waited 59 999 ms";
  EXPECT_TRUE(sink_.delivered.empty());
  clock_.advance(std::chrono::milliseconds(1));
  EXPECT_TRUE(bundler_->step()) << "oldest reading has waited exactly max_latency";
  ASSERT_EQ(sink_.delivered.size(), 1u);
  EXPECT_EQ(decode_bundle(sink_.delivered[0].payload).readings.size(), 10u);
  EXPECT_EQ(buffer_->stats().readings, 0) << "acknowledged rows are deleted";
}

TEST_F(BundlerTest, DeliversFullBundlesAtOnceAndKeepsTheRemainder) {
  append(2000);
  while (bundler_->step()) {
  }
  ASSERT_GE(sink_.delivered.size(), 2u);
  std::size_t delivered = 0;
  for (const auto& bundle : sink_.delivered) {
    EXPECT_LE(bundle.payload.size(), 512u);
    delivered += decode_bundle(bundle.payload).readings.size();
  }
  EXPECT_EQ(static_cast<std::int64_t>(delivered) + buffer_->stats().readings, 2000)
      << "every reading is either delivered or still buffered";
  EXPECT_GT(buffer_->stats().readings, 0) << "the last partial bundle waits for max_latency";
}

TEST_F(BundlerTest, FlushClosesThePartialBundleNow) {
  append(3);
  EXPECT_FALSE(bundler_->step());
  bundler_->request_flush();
  EXPECT_TRUE(bundler_->step());
  EXPECT_EQ(sink_.delivered.size(), 1u);
}

TEST_F(BundlerTest, AFailedDeliveryIsRetriedWithTheSameSeqAndBytes) {
  append(10);
  clock_.advance(kLatency);
  sink_.fail_next = 2;
  EXPECT_FALSE(bundler_->step());
  EXPECT_FALSE(bundler_->step());
  EXPECT_EQ(buffer_->stats().readings, 10) << "nothing is deleted before delivery";
  EXPECT_TRUE(bundler_->step());
  ASSERT_EQ(sink_.delivered.size(), 1u);
  auto inflight_seq = sink_.delivered[0].bundle_seq;
  auto decoded = decode_bundle(sink_.delivered[0].payload);
  EXPECT_EQ(decoded.bundle_seq, inflight_seq);
  EXPECT_EQ(decoded.readings.size(), 10u);
  EXPECT_EQ(bundler_->stats().delivery_failures, 2u);
}

TEST_F(BundlerTest, BundlesInFlightAtACrashAreResentByteIdenticalAfterRestart) {
  append(10);
  clock_.advance(kLatency);
  sink_.fail_next = 1;
  EXPECT_FALSE(bundler_->step());
  auto inflight = buffer_->inflight();
  ASSERT_EQ(inflight.size(), 1u);
  close();
  open();
  EXPECT_TRUE(bundler_->step());
  ASSERT_EQ(sink_.delivered.size(), 1u);
  EXPECT_EQ(sink_.delivered[0].bundle_seq, inflight[0].bundle_seq);
  EXPECT_EQ(sink_.delivered[0].payload, inflight[0].payload);
  EXPECT_EQ(buffer_->stats().readings, 0);
  append(1);
  bundler_->request_flush();
  EXPECT_TRUE(bundler_->step());
  EXPECT_GT(sink_.delivered[1].bundle_seq, inflight[0].bundle_seq) << "a seq is never reused";
}

}  // namespace
}  // namespace edgegw
