// The whole pipeline against a real mosquitto with mutual TLS: simulators and posted readings
// go through SQLite, bundles and MQTT to a subscriber that decodes them. Outages are real
// dropped TCP connections (a proxy the test cuts), crashes are SIGKILLs of the edgegw binary.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <boost/json.hpp>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <regex>
#include <set>
#include <thread>
#include <tuple>

#include "gateway/gateway.h"
#include "proto/bundle_decoder.h"
#include "tests/http_client.h"
#include "tests/integration/broker/mosquitto_broker.h"
#include "tests/integration/broker/mqtt_test_subscriber.h"
#include "tests/integration/broker/tcp_proxy.h"
#include "tests/integration/child_process.h"
#include "tests/integration/demo_rules.h"
#include "tests/integration/edgegw_process.h"
#include "tests/integration/local_gateway_config.h"
#include "tests/temp_dir.h"
#include "tests/wait_for.h"

namespace edgegw {
namespace {

using namespace std::chrono_literals;

/// What the subscriber received, de-duplicated on (gateway_id, bundle_seq) as a consumer must.
struct Received {
  std::map<std::uint64_t, std::string> bundles;  // bundle_seq -> payload
  std::size_t duplicate_bundles = 0;
  std::size_t changed_duplicates = 0;  // same seq, different bytes: must never happen
  std::vector<std::string> alarms;     // alarm payloads in arrival order
  std::map<std::uint64_t, std::size_t> first_arrival;  // bundle_seq -> arrival index
  std::map<std::string, std::size_t> alarm_arrival;    // payload -> arrival index
  /// Every reading once: (series, ts_ms) -> value.
  std::map<std::pair<std::string, std::int64_t>, double> readings;
};

Received collect(const MqttTestSubscriber& subscriber) {
  Received out;
  for (const auto& message : subscriber.messages()) {
    // Alarms: the generic profile's alarm topic, or Azure's events topic with the alarm property.
    if (message.topic.ends_with("/alarms") || message.topic.ends_with("&edgegw-kind=alarm")) {
      out.alarms.push_back(message.payload);
      out.alarm_arrival.emplace(message.payload, message.index);
      continue;
    }
    DecodedBundle bundle = decode_bundle(message.payload);
    auto [it, fresh] = out.bundles.emplace(bundle.bundle_seq, message.payload);
    if (!fresh) {
      ++out.duplicate_bundles;
      if (it->second != message.payload) ++out.changed_duplicates;
      continue;
    }
    out.first_arrival[bundle.bundle_seq] = message.index;
    for (const auto& r : bundle.readings) out.readings[{r.series, r.ts_ms}] = r.value;
  }
  return out;
}

GatewayConfig in_process_config(const MosquittoBroker& broker, const TempDir& dir) {
  GatewayConfig config = broker.gateway_config("gw-e2e");
  use_local_test_settings(config, dir);
  config.uplink.reconnect_min_ms = 50;
  config.uplink.reconnect_max_ms = 200;
  return config;
}

void add_simulator(GatewayConfig& config, const std::string& profile, double rate_scale) {
  config.adapters.push_back({.type = "simulator",
                             .name = profile,
                             .values = {{"profile", profile}, {"rate_scale", rate_scale}}});
}

/// Runs a gateway without adapters on the same buffer until everything in it is acknowledged.
void drain_buffer(GatewayConfig config, Clock& clock) {
  config.adapters.clear();
  Gateway drain(config, clock);
  drain.start();
  drain.flush();
  ASSERT_TRUE(wait_for([&] {
    auto s = drain.status();
    return s.buffer.readings == 0 && s.inflight_bundles == 0;
  })) << drain.status_line();
  drain.stop();
}

TEST(UplinkEndToEnd, EveryAcceptedReadingArrivesExactlyOnceAfterDeduplication) {
  MosquittoBroker broker;
  MqttTestSubscriber subscriber(broker, "edgegw/#");
  TempDir dir;
  GatewayConfig config = in_process_config(broker, dir);
  add_simulator(config, "crane", 10);
  add_simulator(config, "chocolate", 1);
  SystemClock clock;
  std::uint64_t accepted = 0;
  std::map<std::pair<std::string, std::int64_t>, double> posted;
  {
    Gateway gateway(config, clock);
    gateway.start();
    // A local device posts readings of its own next to the simulators.
    for (int batch = 0; batch < 5; ++batch) {
      std::string body = "{\"readings\":[";
      for (int i = 0; i < 20; ++i) {
        const std::int64_t ts = clock.wall_ms() - 1000 + batch * 20 + i;
        const double value = 20.0 + batch + i * 0.125;
        posted[{"room.temp_c", ts}] = value;
        body += (i ? "," : "") + std::string("{\"series\":\"room.temp_c\",\"ts_ms\":") +
                std::to_string(ts) + ",\"value\":" + std::to_string(value) + "}";
      }
      body += "]}";
      auto response = http_request(gateway.api_port(), boost::beast::http::verb::post,
                                   "/api/v1/readings", body);
      ASSERT_EQ(response.status, 200) << response.body;
      EXPECT_EQ(response.body, "{\"accepted\":20}");
    }
    ASSERT_TRUE(wait_for([&] { return gateway.status().bundles_acked >= 3; }))
        << gateway.status_line();
    gateway.stop();  // adapters stop; what they delivered is accepted and must all arrive
    accepted = gateway.status().readings_accepted;
  }
  drain_buffer(config, clock);

  ASSERT_TRUE(wait_for([&] { return collect(subscriber).readings.size() >= accepted; }));
  Received received = collect(subscriber);
  EXPECT_EQ(received.readings.size(), accepted);
  EXPECT_EQ(received.changed_duplicates, 0u);
  for (const auto& [key, value] : posted) {
    auto it = received.readings.find(key);
    ASSERT_NE(it, received.readings.end()) << key.first << " " << key.second;
    EXPECT_EQ(it->second, value) << "a series without a resolution is packed losslessly";
  }
  std::set<std::string> series;
  for (const auto& [key, value] : received.readings) series.insert(key.first);
  EXPECT_TRUE(series.contains("crane.load_kg"));
  EXPECT_TRUE(series.contains("chocolate.load_g"));
}

TEST(UplinkEndToEnd, AnOutageLosesNothingAndAlarmsRaisedDuringItArriveBeforeTheBacklog) {
  MosquittoBroker broker;
  MqttTestSubscriber subscriber(broker, "edgegw/#");
  TcpProxy proxy(static_cast<std::uint16_t>(broker.port()));
  TempDir dir;
  GatewayConfig config = in_process_config(broker, dir);
  config.uplink.port = proxy.port();
  add_simulator(config, "crane", 20);
  SystemClock clock;
  std::uint64_t accepted = 0;
  std::int64_t outage_start_ms = 0;
  {
    Gateway gateway(config, clock);
    gateway.start();
    ASSERT_TRUE(wait_for([&] { return gateway.status().bundles_acked >= 2; }));

    // The gateway loses its connection first, then the broker stops altogether.
    proxy.cut();
    ASSERT_TRUE(wait_for([&] { return !gateway.status().uplink_connected; }));
    broker.stop();
    outage_start_ms = clock.wall_ms();
    for (int i = 0; i < 3; ++i) {
      gateway.raise_alarm({.kind = "theft",
                           .series = "crane.load_kg",
                           .ts_ms = clock.wall_ms(),
                           .value = static_cast<double>(i),
                           .message = "alarm " + std::to_string(i)});
    }
    ASSERT_TRUE(wait_for([&] { return gateway.status().buffer.readings > 3000; }))
        << "the backlog grows in SQLite while offline";
    EXPECT_EQ(gateway.status().alarms_published, 0u);

    // The broker comes back; the gateway reaches it only once the test's subscriber is
    // listening again (the broker keeps no sessions), so the subscriber sees everything.
    broker.start();
    ASSERT_TRUE(subscriber.wait_until_subscribed());
    proxy.restore();
    ASSERT_TRUE(wait_for([&] { return gateway.status().alarms_published == 3; }))
        << gateway.status_line();
    gateway.stop();
    accepted = gateway.status().readings_accepted;
  }
  drain_buffer(config, clock);
  ASSERT_TRUE(wait_for([&] { return collect(subscriber).readings.size() >= accepted; }));

  Received received = collect(subscriber);
  EXPECT_EQ(received.readings.size(), accepted) << "nothing accepted is lost in the outage";
  ASSERT_EQ(received.alarms.size(), 3u);
  std::size_t last_alarm = 0;
  for (const auto& [payload, index] : received.alarm_arrival)
    last_alarm = std::max(last_alarm, index);
  // The backlog: bundles holding readings taken during the outage.
  std::size_t backlog_bundles = 0;
  for (const auto& [seq, payload] : received.bundles) {
    bool from_outage = false;
    for (const auto& r : decode_bundle(payload).readings) {
      from_outage = from_outage || r.ts_ms > outage_start_ms + 500;
    }
    if (!from_outage) continue;
    ++backlog_bundles;
    EXPECT_GT(received.first_arrival[seq], last_alarm)
        << "bundle " << seq << " of the backlog arrived before an alarm";
  }
  EXPECT_GT(backlog_bundles, 0u);
}

/// What IoT Hub meters of a URL-encoded property bag, worked out here rather than asked of the
/// gateway's own model: decoded values of "$." system properties, names and values of the rest.
std::size_t property_bag_bytes(std::string_view bag) {
  auto decoded = [](std::string_view text) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < text.size(); ++i, ++n) {
      if (text[i] == '%' && i + 2 < text.size()) i += 2;
    }
    return n;
  };
  std::size_t bytes = 0;
  for (std::size_t start = 0; start <= bag.size();) {
    std::size_t end = std::min(bag.find('&', start), bag.size());
    std::string_view pair = bag.substr(start, end - start);
    std::size_t eq = std::min(pair.find('='), pair.size());
    if (!pair.starts_with("$.")) bytes += decoded(pair.substr(0, eq));
    if (eq < pair.size()) bytes += decoded(pair.substr(eq + 1));
    start = end + 1;
  }
  return bytes;
}

/// The value of one sample in a Prometheus text exposition, e.g. `name{label="x"}`.
double metric_value(const std::string& exposition, const std::string& sample) {
  const auto at = exposition.find("\n" + sample + " ");
  if (at == std::string::npos) return -1;
  return std::stod(exposition.substr(at + sample.size() + 2));
}

TEST(UplinkEndToEnd, AzureMessagesWithTheirPropertiesAndStampsFitOneBlockAndEachIsBilledOnce) {
  MosquittoBroker broker;
  const std::string device = "gw-azure-e2e";
  MqttTestSubscriber subscriber(broker, "devices/" + device + "/messages/events/#");
  TempDir dir;
  GatewayConfig config = in_process_config(broker, dir);
  // The local broker plays the hub: same client id, user name and events topic with its
  // property bag; only the host is the test's.
  config.gateway.gateway_id = device;
  config.uplink.provider = "azure";
  config.uplink.azure.hub = "local-hub";
  // Not 127.0.0.1: an Azure host left at the default means <hub>.azure-devices.net.
  config.uplink.host = "localhost";
  // Only the events topic is counted here; the twin's reads and patches are billed too.
  config.shadow.enabled = false;
  SystemClock clock;
  const std::size_t alarms = 3;
  std::string metrics;
  {
    Gateway gateway(config, clock);
    gateway.start();
    for (int batch = 0; batch < 8; ++batch) {
      std::string body = "{\"readings\":[";
      for (int i = 0; i < 2000; ++i) {
        const std::int64_t ts = clock.wall_ms() - 60'000 + batch * 2000 + i;
        body += (i ? "," : "") + std::string("{\"series\":\"crane.load_kg\",\"ts_ms\":") +
                std::to_string(ts) + ",\"value\":" + std::to_string(1000 + (i * 37) % 500) + "}";
      }
      body += "]}";
      auto response = http_request(gateway.api_port(), boost::beast::http::verb::post,
                                   "/api/v1/readings", body);
      ASSERT_EQ(response.status, 200) << response.body;
    }
    for (std::size_t i = 0; i < alarms; ++i) {
      gateway.raise_alarm({.kind = "overload",
                           .series = "crane.load_kg",
                           .ts_ms = clock.wall_ms(),
                           .value = 9000,
                           .message = "load over the chart"});
    }
    ASSERT_TRUE(wait_for([&] {
      auto s = gateway.status();
      return s.buffer.readings == 0 && s.inflight_bundles == 0 && s.alarms_published == alarms;
    })) << gateway.status_line();
    metrics = http_request(gateway.api_port(), boost::beast::http::verb::get, "/metrics").body;
    const auto cost = boost::json::parse(
        http_request(gateway.api_port(), boost::beast::http::verb::get, "/api/v1/cost").body);
    const auto& full = cost.at("metering").at("full_bundle");
    EXPECT_EQ(full.at("metered_bytes"), 4096);
    EXPECT_EQ(full.at("property_bytes"), 22) << "$.ct=application%2Fx-protobuf";
    EXPECT_EQ(full.at("allowance_bytes"), static_cast<std::int64_t>(device.size() + 160));
    gateway.stop();
  }

  ASSERT_TRUE(wait_for([&] { return collect(subscriber).readings.size() >= 16'000; }));
  const std::vector<ReceivedMessage> messages = subscriber.messages();
  const std::size_t stamped =
      device.size() + 160;  // the default uplink.azure.stamp_allowance_bytes
  std::size_t full_blocks = 0;
  for (const auto& message : messages) {
    const std::string prefix = "devices/" + device + "/messages/events/";
    ASSERT_TRUE(message.topic.starts_with(prefix)) << message.topic;
    const std::size_t metered =
        message.payload.size() +
        property_bag_bytes(std::string_view(message.topic).substr(prefix.size())) + stamped;
    EXPECT_LE(metered, 4096u) << "message " << message.index << " on " << message.topic;
    if (metered > 4096 - 32) ++full_blocks;
  }
  EXPECT_GE(full_blocks, 5u) << "full bundles fill the block, not just stay under it";
  EXPECT_EQ(collect(subscriber).alarms.size(), alarms) << "alarms are metered like the rest";
  EXPECT_EQ(metric_value(metrics, "edgegw_billable_units_total{provider=\"azure\"}"),
            static_cast<double>(messages.size()))
      << "every message is one billable block, and each is counted\n"
      << metrics;
}

/// Alarm messages of one kind as they arrived: (arrival index, document).
std::vector<std::pair<std::size_t, boost::json::object>> alarms_of(
    const MqttTestSubscriber& subscriber, const std::string& kind) {
  std::vector<std::pair<std::size_t, boost::json::object>> out;
  for (const auto& message : subscriber.messages()) {
    if (!message.topic.ends_with("/alarms")) continue;
    auto doc = boost::json::parse(message.payload).as_object();
    if (doc.at("kind").as_string() == kind) out.emplace_back(message.index, std::move(doc));
  }
  return out;
}

TEST(UplinkEndToEnd, ASimulatedTheftRaisesOneTheftAlarmAheadOfItsReadingsAndClearsItOnce) {
  MosquittoBroker broker;
  MqttTestSubscriber subscriber(broker, "edgegw/#");
  TempDir dir;
  GatewayConfig config = in_process_config(broker, dir);
  // One theft: the box is not put back, so there is nothing left to steal.
  config.adapters.push_back({.type = "simulator",
                             .name = "chocolate",
                             .values = {{"profile", std::string("chocolate")},
                                        {"theft_interval_s", 3.0},
                                        {"refill_after_s", 3600.0}}});
  config.rules = demo_rules();
  SystemClock clock;
  {
    Gateway gateway(config, clock);
    gateway.start();
    ASSERT_TRUE(wait_for([&] { return alarms_of(subscriber, "theft").size() >= 2; }, 90s))
        << "a theft raised and cleared: " << gateway.status_line();
    // People still pass by the empty tray; that is no second theft.
    EXPECT_FALSE(wait_for([&] { return alarms_of(subscriber, "theft").size() > 2; }, 10s));
    gateway.stop();
  }
  drain_buffer(config, clock);

  const auto thefts = alarms_of(subscriber, "theft");
  ASSERT_EQ(thefts.size(), 2u) << "one raise, one clear";
  const auto& [raised_at, raised] = thefts[0];
  const auto& [cleared_at, cleared] = thefts[1];
  EXPECT_EQ(raised.at("state").as_string(), "raised");
  EXPECT_EQ(raised.at("severity").as_string(), "critical");
  EXPECT_EQ(raised.at("message").as_string(), "the box of chocolate was lifted off the scale");
  EXPECT_EQ(cleared.at("state").as_string(), "cleared");
  EXPECT_EQ(cleared.at("alarm_id"), raised.at("alarm_id")) << "the clear names its raise";
  EXPECT_GT(cleared_at, raised_at);

  // The readings around the theft (the fall of the load) went out in bundles after the alarm.
  const std::int64_t theft_ms = raised.at("ts_ms").as_int64();
  std::size_t around = 0;
  for (const auto& message : subscriber.messages()) {
    if (message.topic.ends_with("/alarms")) continue;
    for (const auto& r : decode_bundle(message.payload).readings) {
      if (r.series != "chocolate.load_g" || r.ts_ms < theft_ms - 500 || r.ts_ms > theft_ms) {
        continue;
      }
      ++around;
      EXPECT_GT(message.index, raised_at)
          << "a bundle with a reading at " << r.ts_ms << " arrived before the theft alarm";
    }
  }
  EXPECT_GT(around, 0u);
}

TEST(UplinkEndToEnd, AThresholdExcursionOverManyReadingsRaisesOneAlarmAndOneClear) {
  MosquittoBroker broker;
  MqttTestSubscriber subscriber(broker, "edgegw/#");
  TempDir dir;
  GatewayConfig config = in_process_config(broker, dir);
  config.rules = demo_rules();  // overload: crane.load_kg above 5000, clear below 4800
  SystemClock clock;
  {
    Gateway gateway(config, clock);
    gateway.start();
    std::string body = "{\"readings\":[";
    const std::int64_t start = clock.wall_ms() - 10'000;
    for (int i = 0; i < 200; ++i) {
      // 150 readings over the chart (5001..5300, then down to 4900: still within the
      // hysteresis), then 50 back under 4800.
      const double load = i < 100 ? 5001 + i * 3 : i < 150 ? 4900 : 4000;
      body += (i ? "," : "") + std::string("{\"series\":\"crane.load_kg\",\"ts_ms\":") +
              std::to_string(start + i * 50) + ",\"value\":" + std::to_string(load) + "}";
    }
    body += "]}";
    ASSERT_EQ(
        http_request(gateway.api_port(), boost::beast::http::verb::post, "/api/v1/readings", body)
            .status,
        200);
    ASSERT_TRUE(wait_for([&] { return alarms_of(subscriber, "overload").size() >= 2; }))
        << gateway.status_line();
    gateway.stop();
  }
  const auto overloads = alarms_of(subscriber, "overload");
  ASSERT_EQ(overloads.size(), 2u);
  EXPECT_EQ(overloads[0].second.at("state").as_string(), "raised");
  EXPECT_EQ(overloads[0].second.at("threshold").as_double(), 5000);
  EXPECT_EQ(overloads[1].second.at("state").as_string(), "cleared");
  EXPECT_EQ(overloads[1].second.at("threshold").as_double(), 4800);
}

TEST(UplinkEndToEnd, ABrokerThatNeverAcksKeepsInFlightBoundedAndTheDataBuffered) {
  MosquittoBroker broker;
  TempDir dir;
  GatewayConfig config = in_process_config(broker, dir);
  config.bundle.unit_bytes = 1024;  // small bundles, so the window fills quickly
  config.uplink.inflight_window = 4;
  add_simulator(config, "crane", 100);
  SystemClock clock;
  Gateway gateway(config, clock);
  gateway.start();
  ASSERT_TRUE(wait_for([&] { return gateway.status().bundles_acked >= 2; }));

  broker.pause();
  const auto acked_before = gateway.status().bundles_acked;
  ASSERT_TRUE(wait_for([&] { return gateway.status().inflight_bundles == 4; }))
      << gateway.status_line();
  const auto buffered = gateway.status().buffer.readings;
  ASSERT_TRUE(wait_for([&] { return gateway.status().buffer.readings > buffered + 5000; }))
      << "ingest goes on into SQLite";
  auto status = gateway.status();
  EXPECT_EQ(status.inflight_bundles, 4u) << "the window bounds what is in flight";
  // PUBACKs already on their way when the broker froze may still land, so compare within
  // one snapshot: never more than the window published and unacknowledged.
  EXPECT_LE(status.bundles_published, status.bundles_acked + 4);
  EXPECT_TRUE(status.uplink_connected) << "paused, the broker still holds the TCP connection";
  const auto metrics = http_request(gateway.api_port(), boost::beast::http::verb::get, "/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("\nedgegw_inflight_bundles 4\n"), std::string::npos) << metrics.body;
  EXPECT_NE(metrics.body.find("\nedgegw_uplink_connected 1\n"), std::string::npos);

  broker.resume();
  ASSERT_TRUE(wait_for([&] { return gateway.status().bundles_acked > acked_before + 4; }))
      << gateway.status_line();
  gateway.stop();
}

/// A mosquitto whose ACL lets the gateway's certificate (CN test-thing) publish alarms only,
/// until the test grants it the telemetry topic too and reloads the broker.
class AclBroker {
 public:
  AclBroker() {
    write(false);
    MosquittoOptions options;
    options.use_identity_as_username = true;
    options.extra_config = "acl_file " + acl_file_;
    broker_.emplace(options);
  }
  void grant_telemetry() {
    write(true);
    broker_->reload();
  }
  MosquittoBroker& broker() { return *broker_; }

 private:
  void write(bool telemetry) {
    std::ofstream(acl_file_) << "user test-thing\n"
                             << "topic write edgegw/gw-e2e/alarms\n"
                             << (telemetry ? "topic write edgegw/gw-e2e/telemetry\n" : "")
                             << "user test-subscriber\ntopic read #\n";
  }
  TempDir dir_;
  std::string acl_file_ = dir_.file("acl");
  std::optional<MosquittoBroker> broker_;
};

SeriesOptions crane_load_series() {
  SeriesOptions load;
  load.name = "crane.load_kg";
  load.unit = "kg";
  return load;
}

/// Posts `count` readings of crane.load_kg, 10 ms apart, ending now; returns their timestamps.
std::vector<std::int64_t> post_loads(const Gateway& gateway, const Clock& clock, int count) {
  std::vector<std::int64_t> stamps;
  std::string body = "{\"readings\":[";
  const std::int64_t start = clock.wall_ms() - 10 * count;
  for (int i = 0; i < count; ++i) {
    stamps.push_back(start + 10 * i);
    body += (i ? "," : "") + std::string("{\"series\":\"crane.load_kg\",\"ts_ms\":") +
            std::to_string(stamps.back()) + ",\"value\":" + std::to_string(1000 + i) + "}";
  }
  body += "]}";
  const auto posted =
      http_request(gateway.api_port(), boost::beast::http::verb::post, "/api/v1/readings", body);
  EXPECT_EQ(posted.status, 200) << posted.body;
  return stamps;
}

TEST(UplinkEndToEnd, UnderMqtt5APublishTheAclDeniesKeepsItsRowsUntilTheAclIsFixed) {
  AclBroker acl;
  MqttTestSubscriber subscriber(acl.broker(), "edgegw/#");
  TempDir dir;
  GatewayConfig config = in_process_config(acl.broker(), dir);
  config.uplink.refused_retry_s = 1;
  config.series.push_back(crane_load_series());
  SystemClock clock;
  Gateway gateway(config, clock);
  gateway.start();
  ASSERT_TRUE(wait_for([&] { return gateway.status().uplink_connected; }));
  EXPECT_EQ(gateway.status().mqtt_version, 5) << "mosquitto 2 speaks MQTT 5: the default";
  const auto stamps = post_loads(gateway, clock, 500);
  gateway.flush();
  ASSERT_TRUE(wait_for([&] { return gateway.status().publishes_refused >= 1; }))
      << gateway.status_line();
  const auto refused_at = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(3s);
  auto status = gateway.status();
  const double waited =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - refused_at).count();
  EXPECT_LE(status.publishes_refused, static_cast<std::uint64_t>(waited) + 2)
      << "one try per refused_retry_s, not a tight loop";
  EXPECT_EQ(status.bundles_acked, 0u);
  EXPECT_EQ(status.buffer.readings, 500) << "the refused rows stay";
  EXPECT_NE(status.last_refusal.find("edgegw/gw-e2e/telemetry"), std::string::npos)
      << status.last_refusal;
  EXPECT_NE(status.last_refusal.find("135"), std::string::npos) << status.last_refusal;

  acl.grant_telemetry();
  ASSERT_TRUE(wait_for([&] { return gateway.status().buffer.readings == 0; }))
      << gateway.status_line();
  gateway.stop();
  const Received received = collect(subscriber);
  for (const auto ts : stamps) {
    EXPECT_TRUE(received.readings.contains({"crane.load_kg", ts})) << ts;
  }
  EXPECT_EQ(received.readings.size(), stamps.size());
}

TEST(UplinkEndToEnd, UnderMqtt311MosquittoAcksADeniedPublishAndDropsIt) {
  // Why MQTT 5 is the default: 3.1.1 has no way to refuse a publish, and mosquitto acks it.
  AclBroker acl;
  MqttTestSubscriber subscriber(acl.broker(), "edgegw/#");
  TempDir dir;
  GatewayConfig config = in_process_config(acl.broker(), dir);
  config.uplink.mqtt_version = "3.1.1";
  config.series.push_back(crane_load_series());
  SystemClock clock;
  Gateway gateway(config, clock);
  gateway.start();
  ASSERT_TRUE(wait_for([&] { return gateway.status().uplink_connected; }));
  post_loads(gateway, clock, 100);
  gateway.flush();
  ASSERT_TRUE(wait_for([&] { return gateway.status().bundles_acked >= 1; }));
  gateway.stop();
  EXPECT_EQ(gateway.status().publishes_refused, 0u);
  EXPECT_TRUE(collect(subscriber).readings.empty()) << "acknowledged, and nobody received it";
}

TEST(UplinkEndToEnd, ABrokerThatRefusesTheCertificateGetsNothingAndTheBufferKeepsEverything) {
  MosquittoBroker broker;
  TempDir dir;
  GatewayConfig config = in_process_config(broker, dir);
  const DeviceCredentials foreign = broker.make_foreign_device("intruder");
  config.uplink.tls->cert_file = foreign.cert_file;
  config.uplink.tls->key_file = foreign.key_file;
  add_simulator(config, "crane", 20);
  SystemClock clock;
  Gateway gateway(config, clock);
  gateway.start();
  ASSERT_TRUE(wait_for([&] { return gateway.status().readings_accepted > 3000; }));
  gateway.stop();
  const GatewayStatus status = gateway.status();
  EXPECT_FALSE(status.uplink_connected);
  EXPECT_EQ(status.bundles_published, 0u);
  EXPECT_EQ(status.bundles_acked, 0u);
  EXPECT_EQ(static_cast<std::uint64_t>(status.buffer.readings), status.readings_accepted)
      << "nothing is deleted from the buffer";
}

TEST(UplinkEndToEnd, KillingTheGatewayTenTimesWhileItDrainsABacklogLosesNothing) {
  MosquittoBroker broker;
  MqttTestSubscriber subscriber(broker, "edgegw/#");
  TempDir dir;
  constexpr std::size_t kBacklog = 200'000;
  const std::int64_t start_ms = SystemClock().wall_ms() - 3'600'000;
  {
    // The backlog a long outage leaves behind, accepted before the gateway ever ran.
    StorageOptions storage;
    storage.path = dir.file("buffer.db");
    storage.synchronous = "normal";
    SystemClock clock;
    auto buffer = SqliteBuffer::open(storage, clock);
    const SeriesId a = buffer->register_series({.name = "backlog.a", .unit = "", .resolution = 0});
    const SeriesId b = buffer->register_series({.name = "backlog.b", .unit = "", .resolution = 0});
    for (std::size_t i = 0; i < kBacklog; i += 10'000) {
      std::vector<Reading> batch;
      for (std::size_t j = i; j < i + 10'000; ++j) {
        batch.push_back({.series = j % 2 == 0 ? a : b,
                         .ts_ms = start_ms + static_cast<std::int64_t>(j / 2) * 10,
                         .value = static_cast<double>(j) * 0.25});
      }
      ASSERT_EQ(buffer->append_sync(std::move(batch)), AppendStatus::accepted);
    }
  }
  const auto config = dir.path() / "edgegw.toml";
  auto write_config = [&](int publishes_per_s) {
    std::string uplink = broker.uplink_toml();
    uplink.replace(uplink.find("[uplink.tls]"), 0,
                   "max_publishes_per_s = " + std::to_string(publishes_per_s) +
                       "\nreconnect_min_ms = 50\nreconnect_max_ms = 200\n");
    std::ofstream(config) << "gateway_id = \"gw-crash\"\n[storage]\npath = \""
                          << dir.file("buffer.db") << "\"\nsynchronous = \"normal\"\n"
                          << "[bundle]\nmax_latency_s = 1\n[api]\nlisten = \"127.0.0.1:0\"\n"
                          << uplink;
  };
  // Drain slowly while killing (each start may burst one second's worth), so that every kill
  // lands mid-drain; then at full speed.
  write_config(4);
  const auto log = dir.path() / "edgegw.log";

  std::mt19937 random(20261126);
  for (int kill = 0; kill < 10; ++kill) {
    const std::size_t before = subscriber.count();
    Daemon daemon(config, log);
    ASSERT_TRUE(wait_for([&] { return subscriber.count() > before; })) << read_file(config) << "\n"
                                                                       << read_file(log);
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 300)(random)));
    daemon.kill_hard();
  }
  EXPECT_LT(collect(subscriber).readings.size(), kBacklog) << "the kills came too late to matter";

  write_config(0);
  Daemon daemon(config, log);
  ASSERT_TRUE(wait_for([&] { return collect(subscriber).readings.size() >= kBacklog; }, 60s))
      << collect(subscriber).readings.size() << " of " << kBacklog << "\n"
      << read_file(log);
  EXPECT_EQ(daemon.stop(), 0);

  Received received = collect(subscriber);
  EXPECT_EQ(received.readings.size(), kBacklog);
  EXPECT_EQ(received.changed_duplicates, 0u) << "a re-sent bundle_seq must carry the same bytes";
  for (std::size_t j = 0; j < kBacklog; j += 997) {
    auto it = received.readings.find(
        {j % 2 == 0 ? "backlog.a" : "backlog.b", start_ms + static_cast<std::int64_t>(j / 2) * 10});
    ASSERT_NE(it, received.readings.end()) << j;
    EXPECT_EQ(it->second, static_cast<double>(j) * 0.25);
  }
}

/// The count of the last "accepted N" status line in `log`: what that run accepted in all.
std::size_t last_accepted(const std::string& log) {
  const std::regex accepted(R"(accepted (\d+), rejected)");
  std::size_t count = 0;
  for (std::sregex_iterator it(log.begin(), log.end(), accepted), end; it != end; ++it) {
    count = std::stoul((*it)[1].str());
  }
  return count;
}

TEST(UplinkEndToEnd, ASigtermUnderLoadStopsWithinTenSecondsAndLosesNoAcceptedReading) {
  MosquittoBroker broker;
  MqttTestSubscriber subscriber(broker, "edgegw/#");
  TempDir dir;
  const int api_port = testing::free_loopback_port();
  const auto config = dir.path() / "edgegw.toml";
  auto write_config = [&](bool with_adapters) {
    std::ofstream(config) << "gateway_id = \"gw-term\"\n[storage]\npath = \""
                          << dir.file("buffer.db") << "\"\nsynchronous = \"normal\"\n"
                          << "[bundle]\nmax_latency_s = 1\n[api]\nlisten = \"127.0.0.1:" << api_port
                          << "\"\n"
                          << broker.uplink_toml()
                          << (with_adapters ? "[[adapters]]\ntype = \"simulator\"\nprofile = "
                                              "\"crane\"\nrate_scale = 20\n[[adapters]]\ntype = "
                                              "\"simulator\"\nprofile = \"chocolate\"\n"
                                            : "");
  };
  auto ready = [&] {
    try {
      return http_request(api_port, boost::beast::http::verb::get, "/readyz").status == 200;
    } catch (const std::exception&) {
      return false;
    }
  };
  write_config(true);
  const auto log = dir.path() / "edgegw.log";
  Daemon daemon(config, log);
  ASSERT_TRUE(wait_for(ready)) << read_file(log);

  // A local device posts as fast as it is answered, next to the simulators, until the end.
  std::atomic<bool> posting{true};
  std::map<std::int64_t, double> posted;  // ts_ms -> value, of the batches answered 200
  std::thread poster([&] {
    const std::int64_t base = SystemClock().wall_ms() - 60'000;
    for (std::int64_t n = 0; posting; n += 50) {
      std::string body = "{\"readings\":[";
      for (std::int64_t i = n; i < n + 50; ++i) {
        body += (i > n ? "," : "") + std::string("{\"series\":\"dock.posted\",\"ts_ms\":") +
                std::to_string(base + i) + ",\"value\":" + std::to_string(i) + "}";
      }
      body += "]}";
      try {
        if (http_request(api_port, boost::beast::http::verb::post, "/api/v1/readings", body)
                .status == 200) {
          for (std::int64_t i = n; i < n + 50; ++i) posted[base + i] = static_cast<double>(i);
        }
      } catch (const std::exception&) {
        std::this_thread::sleep_for(10ms);  // stopped: nothing listens
      }
    }
  });
  std::this_thread::sleep_for(3s);
  const auto signalled = std::chrono::steady_clock::now();
  const int exit_code = daemon.stop();
  const auto took = std::chrono::steady_clock::now() - signalled;
  posting = false;
  poster.join();
  EXPECT_EQ(exit_code, 0) << read_file(log);
  EXPECT_LT(took, 10s) << "SIGTERM took "
                       << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                       << " ms";
  const std::size_t accepted = last_accepted(read_file(log));
  ASSERT_GT(posted.size(), 500U);
  ASSERT_GT(accepted, posted.size());

  // The next start, with nothing new coming in, sends what the stop left in the buffer.
  write_config(false);
  Daemon again(config, log);
  // Ready first: the stop may have sent everything already, and a SIGTERM before the daemon
  // handles it would kill it.
  ASSERT_TRUE(wait_for(ready)) << read_file(log);
  ASSERT_TRUE(wait_for([&] { return collect(subscriber).readings.size() >= accepted; }, 60s))
      << collect(subscriber).readings.size() << " of " << accepted;
  EXPECT_EQ(again.stop(), 0);
  const Received received = collect(subscriber);
  EXPECT_EQ(received.readings.size(), accepted);
  EXPECT_EQ(received.changed_duplicates, 0U);
  for (const auto& [ts, value] : posted) {
    const auto it = received.readings.find({"dock.posted", ts});
    ASSERT_NE(it, received.readings.end()) << "posted reading at " << ts << " lost";
    EXPECT_EQ(it->second, value);
  }
}

}  // namespace
}  // namespace edgegw
