// Nested lists of tables inside [[adapters]] (a Modbus register map) through the config loader:
// what reaches the adapter, and errors that name the file, the line and the key.
#include <gtest/gtest.h>

#include "gateway/config/config.h"
#include "tests/gateway/config_error_of.h"

namespace edgegw {
namespace {

using edgegw::testing::error_of;

constexpr const char* kHead = R"(gateway_id = "gw"
[uplink]
directory = "out"
[[adapters]]
type = "modbus"
name = "crane"
)";

TEST(AdapterConfig, ARegisterMapReachesTheAdapterInFileOrder) {
  auto config = load_config_text(std::string(kHead) + R"([[adapters.registers]]
name = "load_kg"
address = 0
type = "float32"
[[adapters.registers]]
name = "wind"
table = "input"
address = 5
)",
                                 "test.toml");
  ASSERT_EQ(config.adapters.size(), 1u);
  const auto& registers = config.adapters[0].lists.at("registers");
  ASSERT_EQ(registers.size(), 2u);
  EXPECT_EQ(std::get<std::string>(registers[0].at("name")), "load_kg");
  EXPECT_EQ(std::get<std::int64_t>(registers[1].at("address")), 5);
  EXPECT_FALSE(config.adapters[0].values.contains("registers"));
}

TEST(AdapterConfig, AnErrorInARegisterNamesItsIndexKeyAndLine) {
  auto error = error_of(std::string(kHead) + R"([[adapters.registers]]
name = "ok"
address = 0
[[adapters.registers]]
address = 1
[[adapters.registers]]
name = "bad"
address = 2
type = "float16"
colour = "red"
)");
  // Line 11 is the second register's table header: its missing name has no line of its own.
  EXPECT_NE(error.find("test.toml:10: adapters.registers[1].name is required"), std::string::npos)
      << error;
  EXPECT_NE(error.find("test.toml:15: adapters.registers[2].type is \"float16\", must be one of: "),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("test.toml:16: adapters.registers[2].colour unknown key"), std::string::npos)
      << error;
}

TEST(AdapterConfig, ANestedListTheTypeDoesNotDeclareIsAnUnknownKey) {
  auto error = error_of(R"(gateway_id = "gw"
[uplink]
directory = "out"
[[adapters]]
type = "simulator"
profile = "crane"
[[adapters.registers]]
name = "x"
)");
  EXPECT_NE(error.find("test.toml:4: adapters.registers unknown key"), std::string::npos) << error;
}

TEST(AdapterConfig, ASubTableOrANonScalarInARegisterIsAnError) {
  auto error = error_of(std::string(kHead) + R"([adapters.extra]
x = 1
[[adapters.registers]]
name = "a"
address = [1, 2]
)");
  EXPECT_NE(error.find("test.toml:7: adapters.extra must be a single value or a list of tables"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("test.toml:11: adapters.registers[0].address must be a single value"),
            std::string::npos)
      << error;
}

TEST(AdapterConfig, TheShippedCraneConfigIsValid) {
  auto config = load_config_file(EDGEGW_SOURCE_DIR "/deploy/config/crane.toml");
  ASSERT_EQ(config.adapters.size(), 1u);
  EXPECT_EQ(config.adapters[0].type, "modbus");
  EXPECT_EQ(config.adapters[0].name, "crane");
  EXPECT_GE(config.adapters[0].lists.at("registers").size(), 8u);
}

}  // namespace
}  // namespace edgegw
