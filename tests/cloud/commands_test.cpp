#include "gateway/cloud/commands.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "tests/fakes/fake_command_actions.h"

namespace edgegw::cloud {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

/// A processor answering on "r" (topic_json), remembering ids for five minutes.
CommandProcessor processor_for(CommandDialect dialect, FakeGateway& gateway, ManualClock& clock,
                               std::size_t dedupe_max = 1024) {
  return CommandProcessor({.dialect = dialect,
                           .response_topic = dialect == CommandDialect::topic_json ? "r" : "",
                           .dedupe_window = std::chrono::minutes(5),
                           .dedupe_max = dedupe_max},
                          gateway.actions(), clock);
}

class CommandsTest : public ::testing::Test {
 protected:
  CommandsTest()
      : processor_({.dialect = CommandDialect::topic_json,
                    .response_topic = "edgegw/gw/responses",
                    .dedupe_window = std::chrono::minutes(5),
                    .dedupe_max = 1024},
                   gateway_.actions(), clock_) {}

  std::optional<CommandReply> send(const std::string& command, const std::string& payload) {
    return processor_.handle({.topic = "edgegw/gw/commands/" + command, .payload = payload});
  }
  json::object answer(const std::string& command, const std::string& payload) {
    auto reply = send(command, payload);
    EXPECT_TRUE(reply.has_value());
    if (!reply) return {};
    EXPECT_EQ(reply->topic, "edgegw/gw/responses");
    return json::parse(reply->payload).as_object();
  }

  ManualClock clock_;
  FakeGateway gateway_;
  CommandProcessor processor_;
};

TEST_F(CommandsTest, EachCommandAnswersWithTheContractsDocument) {
  auto pong = answer("ping", R"({"id":"a1"})");
  EXPECT_EQ(pong.at("id"), "a1");
  EXPECT_EQ(pong.at("command"), "ping");
  EXPECT_EQ(pong.at("status"), 200);
  EXPECT_EQ(pong.at("result").at("ts_ms"), clock_.wall_ms());
  EXPECT_FALSE(pong.contains("error"));

  auto disarmed = answer("disarm", R"({"id":"a2","args":{}})");
  EXPECT_EQ(disarmed.at("result"), json::parse(R"({"armed":false})"));
  EXPECT_FALSE(gateway_.armed);
  auto status = answer("status", R"({"id":"a3"})");
  EXPECT_EQ(status.at("result").at("armed"), false) << "the status document, after the disarm";
  EXPECT_EQ(answer("arm", R"({"id":"a4"})").at("result"), json::parse(R"({"armed":true})"));
  EXPECT_TRUE(gateway_.armed);
  EXPECT_EQ(answer("flush", R"({"id":"a5"})").at("result"),
            json::parse(R"({"flush":"requested"})"));
  EXPECT_EQ(gateway_.flushes, 1);
  EXPECT_EQ(processor_.stats().by_status.at(200), 5u);
}

TEST_F(CommandsTest, AnUnknownCommandIs404AndAFailingOneIs500) {
  auto unknown = answer("reboot", R"({"id":"b1"})");
  EXPECT_EQ(unknown.at("status"), 404);
  EXPECT_EQ(unknown.at("result"), nullptr);
  EXPECT_EQ(unknown.at("error"),
            "unknown command \"reboot\"; known: ping, status, arm, disarm, flush");
  gateway_.status_throws = true;
  auto failed = answer("status", R"({"id":"b2"})");
  EXPECT_EQ(failed.at("status"), 500);
  EXPECT_EQ(failed.at("error"), "status failed: storage is gone");
}

TEST_F(CommandsTest, MalformedRequestsWithAnIdAre400AndWithoutOneAreDroppedAndCounted) {
  EXPECT_EQ(answer("arm", R"({"id":"c1","args":[1]})").at("status"), 400);
  EXPECT_EQ(gateway_.arm_calls, 0) << "a malformed request runs nothing";
  for (const char* payload :
       {"{", "not json", R"([1,2])", R"({"args":{}})", R"({"id":7})", R"({"id":""})", ""}) {
    EXPECT_FALSE(send("arm", payload).has_value()) << payload;
  }
  const std::string long_id(257, 'x');
  EXPECT_FALSE(send("arm", R"({"id":")" + long_id + "\"}").has_value());
  const auto stats = processor_.stats();
  EXPECT_EQ(stats.dropped, 8u);
  EXPECT_EQ(stats.received, 9u);
  EXPECT_EQ(stats.by_status.at(400), 1u);
  EXPECT_EQ(gateway_.arm_calls, 0);
}

TEST_F(CommandsTest, ARepeatedIdIsAnsweredAgainWithoutRunningTwiceForFiveMinutes) {
  const auto first = send("disarm", R"({"id":"d1"})");
  gateway_.armed = true;  // someone armed it since, on site
  clock_.advance(5min - 1ms);
  const auto again = send("disarm", R"({"id":"d1"})");
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->payload, first->payload) << "the same answer";
  EXPECT_EQ(gateway_.arm_calls, 1) << "run once";
  EXPECT_TRUE(gateway_.armed);
  EXPECT_EQ(processor_.stats().duplicates, 1u);
  clock_.advance(1ms);
  send("disarm", R"({"id":"d1"})");
  EXPECT_EQ(gateway_.arm_calls, 2) << "five minutes on, the id is new again";
}

TEST(Commands, TheOldestIdsAreForgottenPastTheLimit) {
  ManualClock clock;
  FakeGateway gateway;
  CommandProcessor processor = processor_for(CommandDialect::topic_json, gateway, clock, 2);
  for (const char* id : {"1", "2", "3"}) {
    processor.handle({.topic = "c/arm", .payload = std::string(R"({"id":")") + id + "\"}"});
  }
  processor.handle({.topic = "c/arm", .payload = R"({"id":"3"})"});
  EXPECT_EQ(gateway.arm_calls, 3) << "3 is remembered";
  processor.handle({.topic = "c/arm", .payload = R"({"id":"1"})"});
  EXPECT_EQ(gateway.arm_calls, 4) << "1 was forgotten";
}

TEST(Commands, AzureDirectMethodsAreAnsweredOnTheirRequestId) {
  ManualClock clock;
  FakeGateway gateway;
  CommandProcessor processor = processor_for(CommandDialect::azure_methods, gateway, clock);
  auto reply = processor.handle({.topic = "$iothub/methods/POST/disarm/?$rid=42", .payload = "{}"});
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->topic, "$iothub/methods/res/200/?$rid=42");
  EXPECT_EQ(json::parse(reply->payload), json::parse(R"({"armed":false})"));
  EXPECT_FALSE(gateway.armed);

  reply = processor.handle({.topic = "$iothub/methods/POST/reboot/?$rid=43", .payload = "null"});
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->topic, "$iothub/methods/res/404/?$rid=43");
  EXPECT_TRUE(json::parse(reply->payload).as_object().contains("error"));

  reply = processor.handle({.topic = "$iothub/methods/POST/arm/?$rid=44", .payload = "{"});
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->topic, "$iothub/methods/res/400/?$rid=44");
  EXPECT_FALSE(processor.handle({.topic = "$iothub/methods/POST/arm/", .payload = "{}"}))
      << "no $rid: nothing to answer under";
  EXPECT_EQ(processor.stats().dropped, 1u);
}

TEST(Commands, OnAzureAJobArrivesAsADirectMethodWithTheJobDocumentAsPayload) {
  ManualClock clock;
  FakeGateway gateway;
  CommandProcessor processor = processor_for(CommandDialect::azure_methods, gateway, clock);
  auto reply = processor.handle({.topic = "$iothub/methods/POST/update-config/?$rid=7",
                                 .payload = R"({"config": "x = 1", "signature": "c2ln"})"});
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->topic, "$iothub/methods/res/200/?$rid=7");
  EXPECT_EQ(json::parse(reply->payload),
            json::parse(R"({"status": "SUCCEEDED", "details": {"applied": "live"}})"));
  ASSERT_EQ(gateway.jobs.size(), 1u);
  EXPECT_EQ(gateway.jobs[0].document.at("operation"), "update-config");
  EXPECT_EQ(gateway.jobs[0].document.at("config"), "x = 1");
  EXPECT_FALSE(reply->restart_after);

  // Refused: the status code says so, the body keeps the job's status and why.
  gateway.job_outcome = {.status = JobStatus::failed,
                         .details = {{"reason", "the signature does not verify"}},
                         .restart = false,
                         .release = {}};
  reply =
      processor.handle({.topic = "$iothub/methods/POST/update-config/?$rid=8", .payload = "{}"});
  EXPECT_EQ(reply->topic, "$iothub/methods/res/400/?$rid=8");
  EXPECT_EQ(json::parse(reply->payload).at("error"), "the signature does not verify");
  EXPECT_EQ(json::parse(reply->payload).at("status"), "FAILED");

  // A restart answers 202 before it happens, and once only.
  gateway.job_outcome = {
      .status = JobStatus::succeeded, .details = {}, .restart = true, .release = {}};
  reply = processor.handle({.topic = "$iothub/methods/POST/restart/?$rid=9", .payload = "null"});
  EXPECT_EQ(reply->topic, "$iothub/methods/res/202/?$rid=9");
  EXPECT_EQ(json::parse(reply->payload).at("status"), "IN_PROGRESS");
  EXPECT_TRUE(reply->restart_after);
  reply = processor.handle({.topic = "$iothub/methods/POST/restart/?$rid=9", .payload = "null"});
  EXPECT_FALSE(reply->restart_after) << "a duplicate is answered again, not run again";
  EXPECT_EQ(gateway.jobs.size(), 3u);

  reply = processor.handle({.topic = "$iothub/methods/POST/restart/?$rid=10", .payload = "[1]"});
  EXPECT_EQ(reply->topic, "$iothub/methods/res/400/?$rid=10");

  // A job that goes on in the background answers 202 and restarts nothing by itself.
  gateway.job_outcome = {.status = JobStatus::in_progress,
                         .details = {{"running", "job method-11"}},
                         .restart = false,
                         .release = {}};
  reply =
      processor.handle({.topic = "$iothub/methods/POST/update-software/?$rid=11", .payload = "{}"});
  EXPECT_EQ(reply->topic, "$iothub/methods/res/202/?$rid=11");
  EXPECT_EQ(json::parse(reply->payload).at("status"), "IN_PROGRESS");
  EXPECT_FALSE(reply->restart_after);
}

TEST(Commands, TopicCommandsDoNotRunJobs) {
  ManualClock clock;
  FakeGateway gateway;
  CommandProcessor processor = processor_for(CommandDialect::topic_json, gateway, clock);
  const auto reply = processor.handle({.topic = "c/restart", .payload = R"({"id":"1"})"});
  EXPECT_EQ(json::parse(reply->payload).at("status"), 404);
  EXPECT_TRUE(gateway.jobs.empty());
}

TEST(Commands, AnAzureRequestIdSeenOnAnEarlierConnectionIsANewRequest) {
  ManualClock clock;
  FakeGateway gateway;
  CommandProcessor processor = processor_for(CommandDialect::azure_methods, gateway, clock);
  const std::string topic = "$iothub/methods/POST/arm/?$rid=1";
  processor.handle({.topic = topic, .payload = "{}", .session = 1});
  processor.handle({.topic = topic, .payload = "{}", .session = 1});
  EXPECT_EQ(gateway.arm_calls, 1) << "delivered twice on one connection: run once";
  processor.handle({.topic = topic, .payload = "{}", .session = 2});
  EXPECT_EQ(gateway.arm_calls, 2) << "a $rid pairs request and answer on one connection only";
}

TEST(Commands, ATopicRequestIdIsRememberedAcrossConnections) {
  ManualClock clock;
  FakeGateway gateway;
  CommandProcessor processor = processor_for(CommandDialect::topic_json, gateway, clock);
  processor.handle({.topic = "c/arm", .payload = R"({"id":"a"})", .session = 1});
  processor.handle({.topic = "c/arm", .payload = R"({"id":"a"})", .session = 2});
  EXPECT_EQ(gateway.arm_calls, 1) << "the cloud's own ids are unique across connections";
}

}  // namespace
}  // namespace edgegw::cloud
