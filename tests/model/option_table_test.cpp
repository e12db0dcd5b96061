#include "gateway/model/option_table.h"

#include <gtest/gtest.h>

namespace edgegw {
namespace {

struct Sample {
  std::int64_t port = 1883;
  double ratio = 0.5;
  std::string mode = "fast";
  bool enabled = true;
};

const OptionTable<Sample> kTable = {
    {.key = "port", .member = &Sample::port, .description = "p", .min = 1, .max = 65535},
    {.key = "ratio", .member = &Sample::ratio, .description = "r", .min = 0, .max = 1},
    {.key = "mode", .member = &Sample::mode, .description = "m", .choices = "fast slow"},
    {.key = "enabled", .member = &Sample::enabled, .description = "e"},
};

TEST(OptionTable, FillsGivenKeysAndKeepsDefaultsForTheRest) {
  Sample s;
  auto errors = fill_options(s, kTable, {{"port", std::int64_t{8883}}, {"ratio", std::int64_t{1}}});
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(s.port, 8883);
  EXPECT_EQ(s.ratio, 1.0);
  EXPECT_EQ(s.mode, "fast");
  EXPECT_TRUE(s.enabled);
}

TEST(OptionTable, RejectsUnknownKeysWrongTypesAndOutOfRangeValues) {
  Sample s;
  auto errors = fill_options(s, kTable,
                             {{"prot", std::int64_t{1}},
                              {"port", std::int64_t{70000}},
                              {"mode", std::string("medium")},
                              {"enabled", std::string("yes")}});
  ASSERT_EQ(errors.size(), 4u);
  std::map<std::string, std::string> by_key(errors.begin(), errors.end());
  EXPECT_EQ(by_key["prot"], "unknown key");
  EXPECT_EQ(by_key["port"], "is 70000, must be 1 to 65535");
  EXPECT_EQ(by_key["mode"], "is \"medium\", must be one of: fast slow");
  EXPECT_EQ(by_key["enabled"], "must be true or false");
  EXPECT_EQ(s.port, 1883) << "a rejected value must not be stored";
}

TEST(OptionTable, DescribesDefaultsFromTheStruct) {
  auto docs = describe_options(kTable);
  ASSERT_EQ(docs.size(), 4u);
  EXPECT_EQ(docs[0].default_value, "1883");
  EXPECT_EQ(docs[0].type, "integer");
  EXPECT_EQ(docs[0].constraint, "1 to 65535");
  EXPECT_EQ(docs[2].default_value, "\"fast\"");
  EXPECT_EQ(docs[3].default_value, "true");
}

}  // namespace
}  // namespace edgegw
