// The live settings: a desired document shaped like the config file, checked by the config's
// own option tables, applied to the running parts (fakes recording what they were told),
// kept, and restored at the next start.
#include "gateway/live_settings.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace edgegw {
namespace {

namespace json = boost::json;

constexpr const char* kConfig = R"(gateway_id = "gw-01"
[storage]
path = "/tmp/unused.db"
[bundle]
max_latency_s = 60
[[adapters]]
type = "simulator"
name = "crane"
profile = "crane"
[[adapters]]
type = "gpio_pir"
name = "motion"
chip = "/dev/gpiochip0"
line = 17
[[rules]]
name = "overload"
series = "crane.load_t"
above = 9.5
)";

json::object object(std::string_view text) {
  return json::parse(text).as_object();
}

class LiveSettingsTest : public ::testing::Test {
 protected:
  LiveSettingsTest() { settings_.set_targets(targets()); }

  LiveTargets targets() {
    return {.set_armed = [this](bool armed) { armed_.push_back(armed); },
            .set_max_latency =
                [this](std::chrono::milliseconds latency) { latencies_.push_back(latency); },
            .set_log_level = [this](const std::string& level) { levels_.push_back(level); },
            .retune_adapter =
                [this](std::size_t index, const std::map<std::string, OptionValue>& values) {
                  retuned_.emplace_back(index, values);
                },
            .retune_rule = [this](const rules::RuleOptions& rule) { rules_.push_back(rule); },
            .persist = [this](const std::string& document) { persisted_ = document; }};
  }

  LiveSettings settings_{load_config_text(kConfig, "edgegw.toml")};
  std::vector<bool> armed_;
  std::vector<std::chrono::milliseconds> latencies_;
  std::vector<std::string> levels_;
  std::vector<std::pair<std::size_t, std::map<std::string, OptionValue>>> retuned_;
  std::vector<rules::RuleOptions> rules_;
  std::string persisted_;
};

TEST_F(LiveSettingsTest, EachLiveSettingReachesItsPartAndTheConfigInForce) {
  const auto outcome = settings_.apply(object(R"({"armed": false, "log_level": "debug",
      "bundle": {"max_latency_s": 30},
      "adapters": {"crane": {"poll_interval_ms": 250, "rate_scale": 2.5}},
      "rules": {"overload": {"above": 12, "for_s": 3}}})"),
                                       7);
  EXPECT_TRUE(outcome.rejected.empty());
  EXPECT_EQ(outcome.applied.size(), 7u);
  EXPECT_EQ(armed_, std::vector<bool>{false});
  EXPECT_EQ(latencies_, std::vector<std::chrono::milliseconds>{std::chrono::seconds(30)});
  EXPECT_EQ(levels_, std::vector<std::string>{"debug"});
  ASSERT_EQ(retuned_.size(), 1u);
  EXPECT_EQ(retuned_[0].first, 0u);
  EXPECT_EQ(std::get<std::int64_t>(retuned_[0].second.at("poll_interval_ms")), 250);
  EXPECT_EQ(std::get<double>(retuned_[0].second.at("rate_scale")), 2.5);
  ASSERT_EQ(rules_.size(), 1u);
  EXPECT_EQ(rules_[0].above, 12);
  EXPECT_EQ(rules_[0].for_s, 3);

  const GatewayConfig config = settings_.config();
  EXPECT_EQ(config.bundle.max_latency_s, 30);
  EXPECT_EQ(config.gateway.log_level, "debug");
  EXPECT_EQ(std::get<std::int64_t>(config.adapters[0].values.at("poll_interval_ms")), 250);
  EXPECT_EQ(config.rules[0].above, 12);
  EXPECT_EQ(settings_.config_version(), 7);

  // In force, in the document's own shape (armed is the buffer's, not the config's).
  const auto in_force = settings_.in_force();
  EXPECT_EQ(in_force.at("bundle").at("max_latency_s").as_int64(), 30);
  EXPECT_EQ(in_force.at("adapters").at("crane").at("poll_interval_ms").as_int64(), 250);
  EXPECT_FALSE(in_force.at("adapters").as_object().contains("motion")) << "PIR has no live keys";
  EXPECT_EQ(in_force.at("rules").at("overload").at("above").as_double(), 12);
  EXPECT_FALSE(in_force.contains("armed"));

  // GET /api/v1/config: the configuration in force, and what changed live.
  const auto shown = json::parse(settings_.config_json());
  EXPECT_EQ(shown.at("bundle").at("max_latency_s").as_int64(), 30);
  EXPECT_EQ(shown.at("live").at("config_version").as_int64(), 7);
  EXPECT_EQ(shown.at("live").at("changes").at("bundle").at("max_latency_s").as_int64(), 30);
  EXPECT_FALSE(shown.at("live").at("changes").as_object().contains("armed"));
}

TEST_F(LiveSettingsTest, AValueTheTablesRefuseIsRejectedWithItsReasonAndTheRestStillApplies) {
  const auto outcome = settings_.apply(object(R"({"bundle": {"max_latency_s": 0},
      "log_level": "loud", "armed": "no",
      "adapters": {"crane": {"poll_interval_ms": 250, "rate_scale": -1, "profile": "chocolate",
                             "colour": 1},
                   "ghost": {"poll_interval_ms": 1}},
      "rules": {"overload": {"below": 1, "series": "x"}},
      "storage": {"path": "/elsewhere"}, "nonsense": 1})"),
                                       3);
  const std::map<std::string, std::string> expected = {
      {"bundle.max_latency_s", "is 0, must be 1 to 86400"},
      {"log_level", "is \"loud\", must be one of: trace debug info warn error"},
      {"armed", "must be true or false"},
      {"adapters.crane.rate_scale", "is -1, must be 0.001 to 100000"},
      {"adapters.crane.profile", "cannot change while running: edit the config file and restart"},
      {"adapters.crane.colour", "unknown key for adapter type simulator"},
      {"adapters.ghost", "no such adapter"},
      {"rules.overload.below",
       "needs exactly one of above, below, drop, rise, stale_after_s, "
       "offline_after_s, all_of (has above, below)"},
      {"rules.overload.series", "cannot change while running: edit the config file and restart"},
      {"storage", "cannot change while running: edit the config file and restart"},
      {"nonsense", "unknown setting"}};
  EXPECT_EQ(outcome.rejected, expected);
  // Only the good one applied; nothing refused reached a part or the config.
  EXPECT_EQ(outcome.applied, std::vector<std::string>{"adapters.crane.poll_interval_ms"});
  EXPECT_TRUE(latencies_.empty());
  EXPECT_TRUE(levels_.empty());
  EXPECT_TRUE(armed_.empty());
  EXPECT_TRUE(rules_.empty());
  const GatewayConfig config = settings_.config();
  EXPECT_EQ(config.bundle.max_latency_s, 60);
  EXPECT_EQ(config.rules[0].above, 9.5);
  EXPECT_TRUE(std::isnan(config.rules[0].below));
  EXPECT_EQ(config.storage.path, "/tmp/unused.db");
}

TEST_F(LiveSettingsTest, NullIsNoWishAndChangesMergeAcrossDocuments) {
  settings_.apply(object(R"({"bundle": {"max_latency_s": 30}})"), 1);
  const auto outcome =
      settings_.apply(object(R"({"bundle": {"max_latency_s": null}, "log_level": "warn"})"), 2);
  EXPECT_TRUE(outcome.rejected.empty());
  EXPECT_EQ(settings_.config().bundle.max_latency_s, 30);
  EXPECT_EQ(json::serialize(settings_.changes()),
            R"({"bundle":{"max_latency_s":30},"log_level":"warn"})");
}

TEST_F(LiveSettingsTest, KeptChangesAreRestoredAtTheNextStartWithoutCallingAnyPart) {
  settings_.apply(object(R"({"bundle": {"max_latency_s": 30},
      "adapters": {"crane": {"poll_interval_ms": 250}}, "armed": false})"),
                  9);
  ASSERT_FALSE(persisted_.empty());

  LiveSettings next(load_config_text(kConfig, "edgegw.toml"));
  next.restore(persisted_);
  const GatewayConfig config = next.config();
  EXPECT_EQ(config.bundle.max_latency_s, 30);
  EXPECT_EQ(std::get<std::int64_t>(config.adapters[0].values.at("poll_interval_ms")), 250);
  EXPECT_EQ(next.config_version(), 9);
  EXPECT_EQ(json::serialize(next.changes()),
            R"({"bundle":{"max_latency_s":30},"adapters":{"crane":{"poll_interval_ms":250}}})");

  // A kept change the file no longer allows (the adapter is gone) is dropped; a broken
  // document is ignored.
  LiveSettings without(load_config_text(R"(gateway_id = "gw-01"
[storage]
path = "/tmp/unused.db"
)",
                                        "edgegw.toml"));
  without.restore(persisted_);
  EXPECT_EQ(without.config().bundle.max_latency_s, 30);
  EXPECT_FALSE(without.changes().contains("adapters"));
  LiveSettings broken(load_config_text(kConfig, "edgegw.toml"));
  broken.restore("{not json");
  EXPECT_EQ(broken.config().bundle.max_latency_s, 60);
}

TEST_F(LiveSettingsTest, AReloadedFileAppliesItsLiveEditsAndNamesTheRestAsNeedingARestart) {
  settings_.apply(object(R"({"log_level": "debug"})"), 3);  // the cloud's
  std::string text = kConfig;
  text.replace(text.find("max_latency_s = 60"), 18, "max_latency_s = 45");
  text.replace(text.find("/tmp/unused.db"), 14, "/tmp/elsewhere.db");
  text.replace(text.find("profile = \"crane\""), 17, "profile = \"crane\"\npoll_interval_ms = 400");
  const auto restart = settings_.reload(load_config_text(text, "edgegw.toml"));
  EXPECT_EQ(restart, std::vector<std::string>{"storage.path"});
  const GatewayConfig config = settings_.config();
  EXPECT_EQ(config.bundle.max_latency_s, 45);
  EXPECT_EQ(std::get<std::int64_t>(config.adapters[0].values.at("poll_interval_ms")), 400);
  EXPECT_EQ(config.storage.path, "/tmp/unused.db") << "not applied: it takes a restart";
  EXPECT_EQ(config.gateway.log_level, "debug") << "the file did not touch what the cloud set";
  EXPECT_EQ(latencies_, std::vector<std::chrono::milliseconds>{std::chrono::seconds(45)});
  ASSERT_EQ(retuned_.size(), 1u);
  // The file's edits are not the cloud's: not kept as its changes.
  EXPECT_EQ(json::serialize(settings_.changes()), R"({"log_level":"debug"})");
  EXPECT_EQ(settings_.config_version(), 3);
  // The same file again changes nothing.
  EXPECT_EQ(settings_.reload(load_config_text(text, "edgegw.toml")), std::vector<std::string>{});
  EXPECT_EQ(latencies_.size(), 1u);
}

TEST_F(LiveSettingsTest, ARuleOrAdapterTheFileAddsIsNamedAsNeedingARestartAndNotRetuned) {
  const std::string text = std::string(kConfig) +
                           "[[rules]]\nname = \"wind_high\"\nseries = \"crane.wind\"\nabove = 20\n"
                           "[[adapters]]\ntype = \"simulator\"\nname = \"dock\"\n"
                           "profile = \"crane\"\npoll_interval_ms = 300\n";
  const auto restart = settings_.reload(load_config_text(text, "edgegw.toml"));
  EXPECT_EQ(restart, (std::vector<std::string>{"adapters", "rules"}));
  EXPECT_TRUE(retuned_.empty());
  EXPECT_EQ(settings_.config().rules.size(), 1u) << "the new rule waits for the restart";
}

TEST(MergeJson, MergesObjectsMemberByMemberAndReplacesTheRest) {
  json::object target = object(R"({"a": {"b": 1, "c": 2}, "d": [1]})");
  merge_json(target, object(R"({"a": {"c": 3, "e": 4}, "d": [2], "f": null})"));
  EXPECT_EQ(json::serialize(target), R"({"a":{"b":1,"c":3,"e":4},"d":[2],"f":null})");
}

}  // namespace
}  // namespace edgegw
