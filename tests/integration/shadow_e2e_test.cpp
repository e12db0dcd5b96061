// The AWS classic shadow end to end: a gateway over mutual TLS to a real mosquitto, through a
// TCP proxy the test can cut, and the test cloud keeping the shadow as AWS documents it (get,
// update, update/delta with version and clientToken). The test plays the fleet operator: it
// sets desired values and reads what the gateway reports.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>

#include "gateway/gateway.h"
#include "tests/http_client.h"
#include "tests/integration/broker/mosquitto_broker.h"
#include "tests/integration/broker/tcp_proxy.h"
#include "tests/integration/cloud/aws_test_cloud.h"
#include "tests/temp_dir.h"
#include "tests/wait_for.h"

namespace edgegw {
namespace {

namespace json = boost::json;
namespace http = boost::beast::http;

constexpr const char* kThing = "gw-shadow";

/// A member of a JSON object by dotted path, or null.
json::value at_path(const json::object& document, std::string_view path) {
  const json::object* object = &document;
  while (true) {
    const auto dot = path.find('.');
    const auto* value = object->if_contains(path.substr(0, dot));
    if (!value) return nullptr;
    if (dot == std::string_view::npos) return *value;
    if (!value->is_object()) return nullptr;
    object = &value->as_object();
    path = path.substr(dot + 1);
  }
}

class ShadowE2E : public ::testing::Test {
 protected:
  GatewayConfig config() const {
    std::ofstream(config_file_) << "gateway_id = \"" << kThing << "\"\n"
                                << "[storage]\npath = \"" << dir_.file("buffer.db") << "\"\n"
                                << "[api]\nlisten = \"127.0.0.1:0\"\n"
                                << "[shadow]\nmin_report_interval_s = 1\n"
                                << broker_.uplink_toml() << "[[adapters]]\ntype = \"simulator\"\n"
                                << "name = \"crane\"\nprofile = \"crane\"\n";
    GatewayConfig config = load_config_file(config_file_);
    config.uplink.provider = "aws";
    config.uplink.port = proxy_.port();
    return config;
  }
  /// Waits until the shadow's reported `path` is `value`.
  bool reported(const std::string& path, const json::value& value) {
    return cloud_.wait_for_shadow(kThing, [&](const AwsTestCloud::Shadow& shadow) {
      return at_path(shadow.reported, path) == value;
    });
  }

  TempDir dir_;
  MosquittoBroker broker_;
  TcpProxy proxy_{static_cast<std::uint16_t>(broker_.port())};
  AwsTestCloud cloud_{broker_};
  std::string config_file_ = dir_.file("edgegw.toml");
  SystemClock clock_;
};

TEST_F(ShadowE2E, ADeltaIsAppliedLiveAndReportedBackAndAnInvalidValueIsReportedRejected) {
  Gateway gateway(config(), clock_);
  gateway.start();
  // No shadow yet: the first report makes it, with what is in force.
  ASSERT_TRUE(reported("bundle.max_latency_s", 60)) << broker_.log();
  EXPECT_TRUE(at_path(cloud_.shadow(kThing)->reported, "armed").as_bool());
  EXPECT_EQ(at_path(cloud_.shadow(kThing)->reported, "adapters.crane.poll_interval_ms"), 1000);
  EXPECT_EQ(at_path(cloud_.shadow(kThing)->reported, "adapters.crane.up"), true);

  cloud_.set_desired(kThing, json::parse(R"({"armed": false, "bundle": {"max_latency_s": 2},
                                           "adapters": {"crane": {"poll_interval_ms": 250}}})")
                                 .as_object());
  ASSERT_TRUE(reported("bundle.max_latency_s", 2)) << broker_.log();
  ASSERT_TRUE(reported("armed", false));
  EXPECT_FALSE(gateway.status().armed);
  EXPECT_EQ(at_path(cloud_.shadow(kThing)->reported, "adapters.crane.poll_interval_ms"), 250);
  const auto version = at_path(cloud_.shadow(kThing)->reported, "config_version");
  EXPECT_GT(version.to_number<std::int64_t>(), 0);
  // The config in force shows the change and where it came from.
  const auto shown =
      json::parse(http_request(gateway.api_port(), http::verb::get, "/api/v1/config").body);
  EXPECT_EQ(shown.at("bundle").at("max_latency_s").as_int64(), 2);
  EXPECT_EQ(shown.at("live").at("changes").at("bundle").at("max_latency_s").as_int64(), 2);

  // An invalid value is refused with its reason, the old one stays in force.
  cloud_.set_desired(kThing, json::parse(R"({"bundle": {"max_latency_s": 0}})").as_object());
  // Refusals are keyed by the setting's dotted path.
  ASSERT_TRUE(cloud_.wait_for_shadow(kThing, [](const AwsTestCloud::Shadow& shadow) {
    const auto rejected = at_path(shadow.reported, "rejected");
    return rejected.is_object() && rejected.as_object().contains("bundle.max_latency_s") &&
           rejected.at("bundle.max_latency_s") == "is 0, must be 1 to 86400";
  })) << broker_.log();
  EXPECT_EQ(at_path(cloud_.shadow(kThing)->reported, "bundle.max_latency_s"), 2);
  const auto status =
      json::parse(http_request(gateway.api_port(), http::verb::get, "/api/v1/status").body);
  EXPECT_EQ(status.at("shadow").at("rejected").at("bundle.max_latency_s").as_string(),
            "is 0, must be 1 to 86400");
  gateway.stop();
}

TEST_F(ShadowE2E, ADesiredChangeMadeWhileOfflineIsAppliedAfterTheReconnectAndKeptOverARestart) {
  {
    Gateway gateway(config(), clock_);
    gateway.start();
    ASSERT_TRUE(reported("bundle.max_latency_s", 60)) << broker_.log();
    proxy_.cut();
    ASSERT_TRUE(wait_for([&] { return !gateway.status().uplink_connected; }));
    // Sent while the gateway is away: the delta reaches nobody.
    cloud_.set_desired(kThing, json::parse(R"({"bundle": {"max_latency_s": 7}})").as_object());
    proxy_.restore();
    ASSERT_TRUE(reported("bundle.max_latency_s", 7)) << broker_.log();
    gateway.stop();
  }
  // Restarted with the cloud out of reach: the change holds until the cloud changes it again.
  proxy_.cut();
  Gateway again(config(), clock_);
  again.start();
  const auto shown =
      json::parse(http_request(again.api_port(), http::verb::get, "/api/v1/config").body);
  EXPECT_EQ(shown.at("bundle").at("max_latency_s").as_int64(), 7);
  EXPECT_GT(shown.at("live").at("config_version").as_int64(), 0);
  again.stop();
}

}  // namespace
}  // namespace edgegw
