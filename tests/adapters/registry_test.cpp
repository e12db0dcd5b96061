#include "adapters/registry.h"

#include <gtest/gtest.h>

namespace edgegw {
namespace {

std::map<std::string, std::string> by_key(const OptionErrors& errors) {
  return {errors.begin(), errors.end()};
}

TEST(AdapterRegistry, ListsTheSimulatorWithItsOptionReference) {
  const AdapterType* simulator = find_adapter_type("simulator");
  ASSERT_NE(simulator, nullptr);
  EXPECT_FALSE(simulator->summary.empty());
  bool has_profile = false;
  for (const auto& doc : simulator->options) {
    EXPECT_FALSE(doc.description.empty()) << doc.key;
    if (doc.key == "profile") {
      has_profile = true;
      EXPECT_TRUE(doc.required);
      EXPECT_EQ(doc.constraint, "one of: chocolate crane");
    }
  }
  EXPECT_TRUE(has_profile);
  EXPECT_EQ(find_adapter_type("modbus-typo"), nullptr);
}

TEST(AdapterRegistry, BuildsASimulatorFromOptionValues) {
  ManualClock clock;
  const AdapterHardware hardware = system_hardware();
  OptionErrors errors;
  auto adapter = create_adapter("simulator",
                                {{"profile", std::string("crane")},
                                 {"name", std::string("tower-1")},
                                 {"seed", std::int64_t{42}},
                                 {"rate_scale", std::int64_t{2}}},
                                AdapterContext{clock, hardware}, errors);
  EXPECT_TRUE(errors.empty());
  ASSERT_NE(adapter, nullptr);
  EXPECT_EQ(adapter->name(), "tower-1");
  EXPECT_EQ(adapter->series().front().name, "tower-1.load_kg");
}

TEST(AdapterRegistry, NameDefaultsToTheProfile) {
  auto check = check_adapter("simulator", {{"profile", std::string("chocolate")}});
  EXPECT_TRUE(check.errors.empty());
  EXPECT_EQ(check.name, "chocolate");
}

TEST(AdapterRegistry, ErrorsNameTheOffendingKeys) {
  ManualClock clock;
  const AdapterHardware hardware = system_hardware();
  OptionErrors errors;
  auto adapter = create_adapter("simulator",
                                {{"profile", std::string("toaster")},
                                 {"rate_scael", 2.0},
                                 {"seed", std::string("x")},
                                 {"name", std::string("has space")}},
                                AdapterContext{clock, hardware}, errors);
  EXPECT_EQ(adapter, nullptr);
  auto keys = by_key(errors);
  EXPECT_EQ(keys.size(), 4u);
  EXPECT_EQ(keys["profile"], "is \"toaster\", must be one of: chocolate crane");
  EXPECT_EQ(keys["rate_scael"], "unknown key");
  EXPECT_EQ(keys["seed"], "must be an integer");
  EXPECT_NE(keys["name"].find("letters, digits"), std::string::npos);
}

TEST(AdapterRegistry, MissingProfileIsAnError) {
  auto check = check_adapter("simulator", {});
  EXPECT_EQ(by_key(check.errors)["profile"], "is required");
}

TEST(AdapterRegistry, UnknownTypeIsAnErrorOnTheTypeKey) {
  ManualClock clock;
  const AdapterHardware hardware = system_hardware();
  OptionErrors errors;
  EXPECT_EQ(create_adapter("toaster", {}, AdapterContext{clock, hardware}, errors), nullptr);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].first, "type");
  EXPECT_NE(errors[0].second.find("simulator"), std::string::npos);
  EXPECT_EQ(check_adapter("toaster", {}).errors.size(), 1u);
}

}  // namespace
}  // namespace edgegw
