// Commands from the cloud, end to end: a client of a real mosquitto (over mutual TLS) sends
// requests on edgegw/<gateway>/commands/<name> and reads the answers on .../responses.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <thread>

#include "gateway/gateway.h"
#include "tests/http_client.h"
#include "tests/integration/broker/mosquitto_broker.h"
#include "tests/integration/broker/mqtt_test_subscriber.h"
#include "tests/integration/local_gateway_config.h"
#include "tests/temp_dir.h"
#include "tests/wait_for.h"

namespace edgegw {
namespace {

namespace json = boost::json;

class CommandsEndToEnd : public ::testing::Test {
 protected:
  CommandsEndToEnd() {
    config_ = broker_.gateway_config("gw-cmd");
    use_local_test_settings(config_, dir_);
    config_.uplink.reconnect_min_ms = 50;
    config_.uplink.reconnect_max_ms = 200;
    gateway_.emplace(config_, clock_);
    gateway_->start();
  }
  ~CommandsEndToEnd() override { gateway_->stop(); }

  /// Every answer so far, parsed.
  std::vector<json::object> answers() const {
    std::vector<json::object> out;
    for (const auto& message : cloud_.messages()) {
      out.push_back(json::parse(message.payload).as_object());
    }
    return out;
  }
  /// Sends one request and waits for the answer to id `id`; sends again while the gateway
  /// may not have subscribed yet (right after it connects), which the de-duplication absorbs.
  json::object call(const std::string& command, const std::string& id,
                    const std::string& payload = {}) {
    const std::string body = payload.empty() ? R"({"id":")" + id + R"(","args":{}})" : payload;
    json::object found;
    const bool answered = wait_for([&] {
      cloud_.publish("edgegw/gw-cmd/commands/" + command, body);
      return wait_for(
          [&] {
            for (const auto& answer : answers()) {
              if (answer.at("id") == json::value(id)) {
                found = answer;
                return true;
              }
            }
            return false;
          },
          std::chrono::milliseconds(300));
    });
    EXPECT_TRUE(answered) << command << " " << id << "\n" << gateway_->status_line();
    return found;
  }
  json::value api_status() const {
    auto response =
        http_request(gateway_->api_port(), boost::beast::http::verb::get, "/api/v1/status");
    return json::parse(response.body);
  }

  MosquittoBroker broker_;
  MqttTestSubscriber cloud_{broker_, "edgegw/gw-cmd/responses", "cloud-side"};
  TempDir dir_;
  GatewayConfig config_;
  SystemClock clock_;
  std::optional<Gateway> gateway_;
};

TEST_F(CommandsEndToEnd, DisarmAndStatusAnswer200AndTheLocalApiShowsTheChange) {
  ASSERT_TRUE(wait_for([&] { return gateway_->status().uplink_connected; }));
  const auto disarmed = call("disarm", "r-1");
  EXPECT_EQ(disarmed.at("status"), 200);
  EXPECT_EQ(disarmed.at("command"), "disarm");
  EXPECT_EQ(disarmed.at("result"), json::parse(R"({"armed":false})"));
  EXPECT_EQ(api_status().at("armed"), false);
  const auto status = call("status", "r-2");
  EXPECT_EQ(status.at("status"), 200);
  EXPECT_EQ(status.at("result").at("armed"), false);
  EXPECT_EQ(status.at("result").at("gateway_id"), "gw-cmd");
  EXPECT_EQ(call("ping", "r-3").at("status"), 200);
}

TEST_F(CommandsEndToEnd, AfterABrokerRestartTheGatewaySubscribesAgainAndArmWorks) {
  ASSERT_TRUE(wait_for([&] { return gateway_->status().uplink_connected; }));
  EXPECT_EQ(call("disarm", "s-1").at("status"), 200);
  broker_.stop();
  ASSERT_TRUE(wait_for([&] { return !gateway_->status().uplink_connected; }));
  broker_.start();
  ASSERT_TRUE(cloud_.wait_until_subscribed());
  ASSERT_TRUE(wait_for([&] { return gateway_->status().uplink_connected; }));
  EXPECT_EQ(call("arm", "s-2").at("status"), 200);
  EXPECT_EQ(api_status().at("armed"), true);
}

TEST_F(CommandsEndToEnd, UnknownDuplicatedAndMalformedRequests) {
  ASSERT_TRUE(wait_for([&] { return gateway_->status().uplink_connected; }));
  const auto unknown = call("reboot", "u-1");
  EXPECT_EQ(unknown.at("status"), 404);
  EXPECT_NE(unknown.at("error").as_string().find("ping, status"), json::string::npos);

  // A duplicated id runs once: disarm, re-arm over the API, then the same disarm again.
  EXPECT_EQ(call("disarm", "u-2").at("status"), 200);
  ASSERT_EQ(http_request(gateway_->api_port(), boost::beast::http::verb::put, "/api/v1/armed",
                         R"({"armed":true})", "application/json")
                .status,
            200);
  const auto answers_to = [&](const char* id) {
    std::size_t n = 0;
    for (const auto& answer : answers()) n += answer.at("id") == json::value(id) ? 1 : 0;
    return n;
  };
  // Late answers to call()'s own repeats have had time to land: count from here.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const auto before = answers_to("u-2");
  ASSERT_TRUE(cloud_.publish("edgegw/gw-cmd/commands/disarm", R"({"id":"u-2"})"));
  EXPECT_TRUE(wait_for([&] { return answers_to("u-2") == before + 1; })) << "answered again";
  EXPECT_EQ(api_status().at("armed"), true) << "but not run again";

  EXPECT_EQ(call("arm", "u-3", R"({"id":"u-3","args":"on"})").at("status"), 400);
  const auto dropped_before = gateway_->status().commands.dropped;
  ASSERT_TRUE(cloud_.publish("edgegw/gw-cmd/commands/arm", "{not json"));
  ASSERT_TRUE(wait_for([&] { return gateway_->status().commands.dropped > dropped_before; }));
  EXPECT_EQ(call("ping", "u-4").at("status"), 200) << "the gateway goes on";
  const auto metrics =
      http_request(gateway_->api_port(), boost::beast::http::verb::get, "/metrics").body;
  EXPECT_NE(metrics.find("\nedgegw_commands_total{status=\"404\"} 1\n"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("\nedgegw_commands_dropped_total 1\n"), std::string::npos);
}

}  // namespace
}  // namespace edgegw
