// The whole gateway with its buffer on a really full filesystem (a 4 MB tmpfs), publishing to a
// real mosquitto over mutual TLS through a proxy the test can cut: a user's SD card filled by
// the backlog of a long outage, or by someone else's logs.
#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <string>

#include "gateway/gateway.h"
#include "proto/bundle_decoder.h"
#include "tests/http_client.h"
#include "tests/integration/broker/mosquitto_broker.h"
#include "tests/integration/broker/mqtt_test_subscriber.h"
#include "tests/integration/broker/tcp_proxy.h"
#include "tests/integration/local_gateway_config.h"
#include "tests/small_filesystem.h"
#include "tests/wait_for.h"

namespace edgegw {
namespace {

using namespace std::chrono_literals;

constexpr std::size_t kFilesystemBytes = 4 * 1024 * 1024;
constexpr std::int64_t kReserveBytes = 512 * 1024;
constexpr int kBatch = 2000;

/// Every distinct reading the subscriber got, and the alarms, by payload.
struct Delivered {
  std::map<std::int64_t, double> readings;  // ts_ms -> value (one series)
  std::vector<std::string> alarms;
};

Delivered delivered(const MqttTestSubscriber& subscriber) {
  Delivered out;
  for (const auto& message : subscriber.messages()) {
    if (message.topic.ends_with("/alarms")) {
      out.alarms.push_back(message.payload);
      continue;
    }
    for (const auto& r : decode_bundle(message.payload).readings) out.readings[r.ts_ms] = r.value;
  }
  return out;
}

/// Captures what the gateway logs, to count how often it repeats itself.
class LogCapture {
 public:
  LogCapture() : sink_(std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(100'000)) {
    spdlog::default_logger()->sinks().push_back(sink_);
  }
  ~LogCapture() {
    auto& sinks = spdlog::default_logger()->sinks();
    std::erase(sinks, sink_);
  }
  std::size_t count(const std::string& text) const {
    std::size_t n = 0;
    for (const auto& line : sink_->last_formatted()) n += line.find(text) != std::string::npos;
    return n;
  }

 private:
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_;
};

class FullDiskEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!SmallFilesystem::can_mount()) GTEST_SKIP() << "mounting a tmpfs needs root";
    fs_ = std::make_unique<SmallFilesystem>(kFilesystemBytes);
    config_ = broker_.gateway_config("gw-full");
    use_local_test_settings(config_, dir_);
    config_.storage.path = fs_->file("buffer.db");
    config_.storage.reserve_bytes = kReserveBytes;
    config_.uplink.port = proxy_.port();
    config_.uplink.reconnect_min_ms = 50;
    config_.uplink.reconnect_max_ms = 200;
  }

  /// Posts one batch of distinct readings; returns the HTTP status.
  int post_batch(const Gateway& gateway) {
    std::string body = "{\"readings\":[";
    for (int i = 0; i < kBatch; ++i, ++next_ts_) {
      body += (i ? "," : "") + std::string("{\"series\":\"crane.load_kg\",\"ts_ms\":") +
              std::to_string(next_ts_) + ",\"value\":" + std::to_string(next_ts_ % 977) + "}";
    }
    body += "]}";
    const auto response =
        http_request(gateway.api_port(), boost::beast::http::verb::post, "/api/v1/readings", body);
    if (response.status == 200) accepted_ += kBatch;
    return response.status;
  }

  bool drained(const Gateway& gateway) const {
    const auto s = gateway.status();
    return s.buffer.readings == 0 && s.inflight_bundles == 0;
  }

  std::int64_t dropped(const Gateway& gateway) const {
    return gateway.status().buffer.dropped.at("storage_full");
  }

  MosquittoBroker broker_;
  MqttTestSubscriber subscriber_{broker_, "edgegw/#"};
  TcpProxy proxy_{static_cast<std::uint16_t>(broker_.port())};
  TempDir dir_;
  std::unique_ptr<SmallFilesystem> fs_;
  GatewayConfig config_;
  SystemClock clock_;
  std::int64_t next_ts_ = SystemClock().wall_ms() - 3'600'000;
  std::int64_t accepted_ = 0;
};

TEST_F(FullDiskEndToEnd, ABacklogThatFilledTheDiskIsDeliveredOnceTheLinkHeals) {
  LogCapture log;
  Gateway gateway(config_, clock_);
  gateway.start();
  ASSERT_TRUE(wait_for([&] { return gateway.status().uplink_connected; }));
  proxy_.cut();
  ASSERT_TRUE(wait_for([&] { return !gateway.status().uplink_connected; }));

  // Offline, readings pile up until the filesystem is full and old ones are shed (or new ones
  // refused with 507), and somewhat beyond.
  int full_batches = 0;
  std::size_t least_free = fs_->free_bytes();
  for (int i = 0; i < 400 && full_batches < 10; ++i) {
    const int status = post_batch(gateway);
    ASSERT_TRUE(status == 200 || status == 507) << status;
    if (status == 507 || dropped(gateway) > 0) ++full_batches;
    least_free = std::min(least_free, fs_->free_bytes());
  }
  ASSERT_EQ(full_batches, 10) << "the filesystem never filled";
  // Least seen, not now: once shedding has freed pages inside the database, the buffer gives
  // some back to the filesystem every second, so the free space moves around the reserve.
  EXPECT_LT(least_free, static_cast<std::size_t>(kReserveBytes));
  EXPECT_EQ(gateway.status().buffer.reserve_bytes_held, 0) << "the reserve is in use";

  proxy_.restore();
  EXPECT_TRUE(wait_for([&] { return gateway.status().bundles_acked > 0; }, 10s))
      << "delivery starts within seconds: " << gateway.status_line();
  ASSERT_TRUE(wait_for([&] { return drained(gateway); }, 120s)) << gateway.status_line();

  const std::int64_t shed = dropped(gateway);
  ASSERT_TRUE(wait_for([&] {
    return static_cast<std::int64_t>(delivered(subscriber_).readings.size()) + shed >= accepted_;
  }));
  EXPECT_EQ(static_cast<std::int64_t>(delivered(subscriber_).readings.size()) + shed, accepted_)
      << "every accepted reading was delivered or counted as dropped";

  // The drain freed room inside the database; some of it goes back to the filesystem, so the
  // reserve is held again; new readings are accepted again, none shed.
  EXPECT_TRUE(
      wait_for([&] { return gateway.status().buffer.reserve_bytes_held == kReserveBytes; }, 10s));
  for (int i = 0; i < 10; ++i) ASSERT_EQ(post_batch(gateway), 200) << i;
  EXPECT_EQ(dropped(gateway), shed);
  ASSERT_TRUE(wait_for([&] { return drained(gateway); }, 60s)) << gateway.status_line();
  gateway.stop();

  // One line per interval about the full disk, not one per attempt.
  EXPECT_LE(log.count("database full"), 3u);
  EXPECT_LE(log.count("cannot record it as in flight"), 3u);
}

TEST_F(FullDiskEndToEnd, FilledBySomeoneElseTheGatewayDrainsSendsAnAlarmAndAcceptsOnceFreed) {
  Gateway gateway(config_, clock_);
  gateway.start();
  ASSERT_TRUE(wait_for([&] { return gateway.status().uplink_connected; }));
  proxy_.cut();
  ASSERT_TRUE(wait_for([&] { return !gateway.status().uplink_connected; }));
  for (int i = 0; i < 10; ++i) ASSERT_EQ(post_batch(gateway), 200) << i;
  const std::int64_t held = accepted_;

  // Someone else's log fills the filesystem to the last block.
  ASSERT_GT(fs_->fill("other.log"), 0u);
  ASSERT_EQ(fs_->free_bytes(), 0u);
  gateway.raise_alarm({.kind = "theft",
                       .series = "chocolate.load_g",
                       .ts_ms = clock_.wall_ms(),
                       .value = 12.5,
                       .message = "raised on a full disk"});

  proxy_.restore();
  ASSERT_TRUE(wait_for([&] { return gateway.status().alarms_published == 1; }, 10s))
      << "the alarm raised while full reaches the broker: " << gateway.status_line();
  ASSERT_TRUE(wait_for([&] { return drained(gateway); }, 60s)) << gateway.status_line();
  ASSERT_TRUE(wait_for(
      [&] { return static_cast<std::int64_t>(delivered(subscriber_).readings.size()) >= held; }));
  const Delivered got = delivered(subscriber_);
  EXPECT_EQ(static_cast<std::int64_t>(got.readings.size()), held) << "all of it, none shed";
  EXPECT_EQ(dropped(gateway), 0);
  ASSERT_EQ(got.alarms.size(), 1u);
  EXPECT_NE(got.alarms.front().find("raised on a full disk"), std::string::npos);

  // Space freed: readings are accepted again straight away, and the reserve comes back.
  fs_->remove("other.log");
  for (int i = 0; i < 5; ++i) EXPECT_EQ(post_batch(gateway), 200) << i;
  EXPECT_TRUE(
      wait_for([&] { return gateway.status().buffer.reserve_bytes_held == kReserveBytes; }, 10s));
  ASSERT_TRUE(wait_for([&] { return drained(gateway); }, 60s)) << gateway.status_line();
  gateway.stop();
}

}  // namespace
}  // namespace edgegw
