// The shadow and twin sync above the transport: what it asks after a connect, how it applies
// the desired state and its changes, what and how often it reports. The LiveSettings below it
// is the real one, over a config; the shadow service is played by the test through a
// FakeTransport. The exchange with mosquitto and a shadow service is
// tests/integration/shadow_e2e.
#include "gateway/cloud/state_sync.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "tests/fakes/fake_transport.h"

namespace edgegw::cloud {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr const char* kShadow = "$aws/things/gw-01/shadow";

class StateSyncTest : public ::testing::Test {
 protected:
  StateSync& sync(StateDialect dialect = StateDialect::aws_shadow) {
    if (!sync_) {
      settings_.set_targets({.set_armed = [this](bool armed) { armed_ = armed; },
                             .set_max_latency = {},
                             .set_log_level = {},
                             .retune_adapter = {},
                             .retune_rule = {},
                             .persist = {}});
      sync_.emplace(
          StateSyncOptions{.dialect = dialect,
                           .thing_name = "gw-01",
                           .min_report_interval = 5s,
                           .report_interval = 300s},
          [this](const json::object& desired, std::int64_t version) {
            return settings_.apply(desired, version);
          },
          [this] {
            json::object reported = settings_.in_force();
            reported["armed"] = armed_;
            reported["status"] = json::object{{"uptime_s", uptime_s_}};
            return reported;
          },
          [this](const std::string& topic, const std::string& payload) {
            sent_.push_back({topic, payload});
          },
          clock_);
      sync_->subscribe(transport_);
    }
    return *sync_;
  }
  void connect() {
    sync().connection_changed(true);
    sync().poll();
  }
  json::object last_sent() const { return json::parse(sent_.back().second).as_object(); }
  json::object reported_in(const std::pair<std::string, std::string>& message) const {
    return json::parse(message.second).at("state").at("reported").as_object();
  }
  std::size_t reports() const {
    std::size_t count = 0;
    for (const auto& [topic, payload] : sent_) count += topic == std::string(kShadow) + "/update";
    return count;
  }

  LiveSettings settings_{load_config_text(R"(gateway_id = "gw-01"
[storage]
path = "/tmp/unused.db"
[bundle]
max_latency_s = 60
)",
                                          "edgegw.toml")};
  bool armed_ = true;
  std::int64_t uptime_s_ = 1;
  ManualClock clock_;
  FakeTransport transport_;
  std::vector<std::pair<std::string, std::string>> sent_;
  std::optional<StateSync> sync_;
};

TEST_F(StateSyncTest, AfterEveryConnectItReadsTheShadowAppliesTheDesiredStateAndReportsBack) {
  connect();
  ASSERT_EQ(sent_.size(), 1u);
  EXPECT_EQ(sent_[0].first, std::string(kShadow) + "/get");
  const std::string token(last_sent().at("clientToken").as_string());

  transport_.deliver(std::string(kShadow) + "/get/accepted",
                     json::serialize(json::object{
                         {"state", json::object{{"desired", json::parse(R"({"armed": false,
                              "bundle": {"max_latency_s": 30}})")},
                                                {"reported", json::object{}}}},
                         {"version", 4},
                         {"clientToken", token}}));
  EXPECT_FALSE(armed_);
  EXPECT_EQ(settings_.config().bundle.max_latency_s, 30);
  sync().poll();
  ASSERT_EQ(reports(), 1u);
  const auto reported = reported_in(sent_.back());
  EXPECT_EQ(reported.at("armed").as_bool(), false);
  EXPECT_EQ(reported.at("bundle").at("max_latency_s").as_int64(), 30);
  EXPECT_EQ(reported.at("config_version").as_int64(), 4);
  EXPECT_FALSE(reported.contains("rejected")) << "nothing refused, nothing to say";
  EXPECT_TRUE(last_sent().contains("clientToken"));
  EXPECT_TRUE(sync().status().synced);
  EXPECT_EQ(sync().status().desired_version, 4);

  // Reconnected: the document is read again, as a change made offline comes only that way.
  sync().connection_changed(false);
  EXPECT_FALSE(sync().status().synced);
  connect();
  EXPECT_EQ(sent_.back().first, std::string(kShadow) + "/get");
}

TEST_F(StateSyncTest, ADeltaIsAppliedAndARejectedValueIsReportedWithItsReason) {
  connect();
  transport_.deliver(std::string(kShadow) + "/get/rejected",
                     R"({"code": 404, "message": "No shadow exists with name: 'gw-01'"})");
  sync().poll();
  ASSERT_EQ(reports(), 1u) << "the first report makes the shadow";

  clock_.advance(10s);
  transport_.deliver(std::string(kShadow) + "/update/delta",
                     R"({"state": {"bundle": {"max_latency_s": 0}, "armed": false},
                         "version": 9})");
  EXPECT_FALSE(armed_);
  EXPECT_EQ(settings_.config().bundle.max_latency_s, 60);
  sync().poll();
  ASSERT_EQ(reports(), 2u);
  const auto reported = reported_in(sent_.back());
  // Only what changed since the last report: armed, the version, the refusal.
  EXPECT_EQ(
      json::serialize(reported),
      R"({"armed":false,"config_version":9,"rejected":{"bundle.max_latency_s":"is 0, must be 1 to 86400"}})");
  EXPECT_EQ(sync().status().rejected.at("bundle.max_latency_s"), "is 0, must be 1 to 86400");

  // A good value later clears the refusal (null deletes it from the shadow).
  clock_.advance(10s);
  transport_.deliver(std::string(kShadow) + "/update/delta",
                     R"({"state": {"bundle": {"max_latency_s": 20}}, "version": 11})");
  sync().poll();
  EXPECT_EQ(json::serialize(reported_in(sent_.back())),
            R"({"bundle":{"max_latency_s":20},"config_version":11,"rejected":null})");
  // An older or repeated delta changes nothing.
  transport_.deliver(std::string(kShadow) + "/update/delta",
                     R"({"state": {"bundle": {"max_latency_s": 40}}, "version": 10})");
  EXPECT_EQ(settings_.config().bundle.max_latency_s, 20);
}

TEST_F(StateSyncTest, TheSameRefusedDeltaAgainIsNotAnsweredWithAnotherReport) {
  connect();
  transport_.deliver(std::string(kShadow) + "/get/rejected", R"({"code": 404})");
  sync().poll();
  clock_.advance(10s);
  const std::string refused = R"({"state": {"bundle": {"max_latency_s": 0}}, "version": )";
  transport_.deliver(std::string(kShadow) + "/update/delta", refused + "5}");
  sync().poll();
  ASSERT_EQ(reports(), 2u);
  // AWS sends the delta again after each reported update while desired and reported differ.
  for (int version = 6; version < 10; ++version) {
    clock_.advance(10s);
    uptime_s_ += 10;
    transport_.deliver(std::string(kShadow) + "/update/delta",
                       refused + std::to_string(version) + "}");
    sync().poll();
  }
  EXPECT_EQ(reports(), 2u);
}

TEST_F(StateSyncTest, ReportsAreCoalescedAndTheStateIsReportedPeriodically) {
  connect();
  transport_.deliver(std::string(kShadow) + "/get/rejected", R"({"code": 404})");
  sync().poll();
  ASSERT_EQ(reports(), 1u);
  // Three changes within the minimum interval: one report, after it.
  for (int latency : {10, 20, 30}) {
    transport_.deliver(std::string(kShadow) + "/update/delta",
                       R"({"state": {"bundle": {"max_latency_s": )" + std::to_string(latency) +
                           "}}, \"version\": " + std::to_string(latency) + "}");
    sync().poll();
  }
  EXPECT_EQ(reports(), 1u);
  clock_.advance(4999ms);
  sync().poll();
  EXPECT_EQ(reports(), 1u);
  clock_.advance(1ms);
  sync().poll();
  ASSERT_EQ(reports(), 2u);
  EXPECT_EQ(reported_in(sent_.back()).at("bundle").at("max_latency_s").as_int64(), 30);

  // Nothing changed: nothing sent, even when due. The state changed: sent at the interval.
  clock_.advance(300s);
  sync().poll();
  EXPECT_EQ(reports(), 2u);
  uptime_s_ = 600;
  EXPECT_EQ(sync().poll(), clock_.monotonic() + 300s);
  clock_.advance(300s);
  sync().poll();
  ASSERT_EQ(reports(), 3u);
  EXPECT_EQ(json::serialize(reported_in(sent_.back())), R"({"status":{"uptime_s":600}})");
}

TEST_F(StateSyncTest, ADocumentThatDoesNotComeIsAskedForAgainAndARefusedReportIsSentWhole) {
  connect();
  clock_.advance(30s);
  sync().poll();
  ASSERT_EQ(sent_.size(), 2u);
  EXPECT_EQ(sent_[1].first, std::string(kShadow) + "/get");
  // Unanswered again: the next wait is twice as long.
  clock_.advance(59s);
  sync().poll();
  EXPECT_EQ(sent_.size(), 2u);
  clock_.advance(1s);
  sync().poll();
  ASSERT_EQ(sent_.size(), 3u);
  transport_.deliver(std::string(kShadow) + "/get/rejected", R"({"code": 404})");
  sync().poll();
  ASSERT_EQ(reports(), 1u);
  transport_.deliver(std::string(kShadow) + "/update/rejected",
                     R"({"code": 413, "message": "The payload exceeds the maximum size"})");
  EXPECT_EQ(sync().status().reports_refused, 1u);
  EXPECT_EQ(sync().status().last_error, "413 The payload exceeds the maximum size");
  clock_.advance(300s);
  sync().poll();
  ASSERT_EQ(reports(), 2u);
  EXPECT_TRUE(reported_in(sent_.back()).contains("bundle")) << "everything again";
}

TEST_F(StateSyncTest, TheAzureTwinIsReadByRidPatchedByVersionAndReportedAsAPatch) {
  sync(StateDialect::azure_twin);
  std::vector<std::string> filters;
  for (const auto& subscription : transport_.subscriptions())
    filters.push_back(subscription.filter);
  EXPECT_EQ(filters, (std::vector<std::string>{"$iothub/twin/res/#",
                                               "$iothub/twin/PATCH/properties/desired/#"}));
  connect();
  ASSERT_EQ(sent_.size(), 1u);
  EXPECT_EQ(sent_[0].first, "$iothub/twin/GET/?$rid=1");
  // An answer to another request is not the document.
  transport_.deliver("$iothub/twin/res/200/?$rid=99", R"({"desired": {"armed": false}})");
  EXPECT_TRUE(armed_);
  transport_.deliver("$iothub/twin/res/200/?$rid=1",
                     R"({"desired": {"armed": false, "bundle": {"max_latency_s": 15},
                                     "$version": 5},
                         "reported": {"armed": true, "$version": 2}})");
  EXPECT_FALSE(armed_);
  EXPECT_EQ(settings_.config().bundle.max_latency_s, 15);
  sync().poll();
  ASSERT_EQ(sent_.size(), 2u);
  EXPECT_TRUE(sent_[1].first.starts_with("$iothub/twin/PATCH/properties/reported/?$rid="));
  const auto patch = json::parse(sent_[1].second).as_object();
  EXPECT_EQ(patch.at("armed").as_bool(), false);
  EXPECT_EQ(patch.at("config_version").as_int64(), 5);
  EXPECT_FALSE(patch.contains("$version"));

  clock_.advance(10s);
  transport_.deliver("$iothub/twin/PATCH/properties/desired/?$version=6",
                     R"({"bundle": {"max_latency_s": 45}, "$version": 6})");
  EXPECT_EQ(settings_.config().bundle.max_latency_s, 45);
  EXPECT_EQ(sync().status().desired_version, 6);
  sync().poll();
  ASSERT_EQ(sent_.size(), 3u);
  const std::string rid = sent_[2].first.substr(sent_[2].first.find("$rid=") + 5);
  transport_.deliver("$iothub/twin/res/400/?$rid=" + rid, R"({"message": "bad"})");
  EXPECT_EQ(sync().status().reports_refused, 1u);
}

TEST(MergePatch, HoldsWhatChangedAndNullForWhatIsGone) {
  const auto before = json::parse(R"({"a": 1, "b": {"c": 2, "d": 3}, "e": 4})").as_object();
  const auto now = json::parse(R"({"a": 1, "b": {"c": 5, "d": 3}, "f": 6})").as_object();
  EXPECT_EQ(json::serialize(merge_patch(before, now)), R"({"b":{"c":5},"f":6,"e":null})");
  EXPECT_TRUE(merge_patch(now, now).empty());
}

}  // namespace
}  // namespace edgegw::cloud
