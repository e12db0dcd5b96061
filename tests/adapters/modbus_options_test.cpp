#include "adapters/modbus/modbus_options.h"

#include <gtest/gtest.h>

#include "adapters/registry.h"

namespace edgegw {
namespace {

using Values = std::map<std::string, OptionValue>;

std::map<std::string, std::string> by_key(const OptionErrors& errors) {
  return {errors.begin(), errors.end()};
}

Values device() {
  return {{"name", std::string("crane")}, {"host", std::string("10.0.0.5")}};
}

Values reg(std::string name, std::int64_t address, std::string type = "uint16") {
  return {{"name", std::move(name)}, {"address", address}, {"type", std::move(type)}};
}

TEST(ModbusOptions, TheIssuesExampleParsesWithItsDefaults) {
  ModbusOptions out;
  Values load = reg("load_kg", 0, "float32");
  load["table"] = std::string("holding");
  load["word_order"] = std::string("little");
  load["byte_order"] = std::string("little");
  load["scale"] = 0.5;
  load["offset"] = std::int64_t{-3};
  load["unit"] = std::string("kg");
  auto errors = parse_modbus_options(device(), {load}, out);
  EXPECT_TRUE(errors.empty()) << errors.front().first << " " << errors.front().second;
  EXPECT_EQ(out.transport, "tcp");
  EXPECT_EQ(out.port, 502);
  EXPECT_EQ(out.unit_id, 1);
  EXPECT_EQ(out.poll_interval_ms, 500);
  EXPECT_EQ(out.timeout_ms, 1000);
  ASSERT_EQ(out.registers.size(), 1u);
  const auto& p = out.registers[0];
  EXPECT_EQ(p.type, modbus::ValueType::float32);
  EXPECT_EQ(p.word_order, modbus::Order::little);
  EXPECT_EQ(p.byte_order, modbus::Order::little);
  EXPECT_EQ(p.scale, 0.5);
  EXPECT_EQ(p.offset, -3);
  EXPECT_EQ(p.unit, "kg");
}

TEST(ModbusOptions, ErrorsInARegisterNameItsIndexAndKey) {
  ModbusOptions out;
  Values coil = reg("door", 4, "float32");
  coil["table"] = std::string("coil");
  auto errors = by_key(parse_modbus_options(device(),
                                            {reg("a", 0),
                                             reg("b", 1, "float16"),
                                             reg("a", 2),
                                             coil,
                                             {{"address", std::int64_t{9}}},
                                             reg("tail", 65535, "uint32")},
                                            out));
  EXPECT_EQ(errors["registers[1].type"],
            "is \"float16\", must be one of: int16 uint16 int32 uint32 float32 int64 uint64 "
            "float64 bool");
  EXPECT_EQ(errors["registers[2].name"], "\"a\" is used twice");
  EXPECT_EQ(errors["registers[3].type"], "is \"float32\", must be \"bool\" in the coil table");
  EXPECT_EQ(errors["registers[4].name"], "is required");
  EXPECT_EQ(errors["registers[5].address"], "is 65535, a uint32 there runs past address 65535");
  EXPECT_EQ(errors.size(), 5u);
}

TEST(ModbusOptions, RtuNeedsADeviceAndAMapNeedsARegister) {
  ModbusOptions out;
  Values values = device();
  values["transport"] = std::string("rtu");
  values["parity"] = std::string("X");
  auto errors = by_key(parse_modbus_options(values, {}, out));
  EXPECT_EQ(errors["device"], "is required with transport = \"rtu\"");
  EXPECT_EQ(errors["parity"], "is \"X\", must be one of: N E O");
  EXPECT_EQ(errors.count("registers"), 1u);
}

TEST(ModbusRegistry, ListsModbusWithItsRegisterTable) {
  const AdapterType* type = find_adapter_type("modbus");
  ASSERT_NE(type, nullptr);
  ASSERT_EQ(type->lists.size(), 1u);
  EXPECT_EQ(type->lists[0].key, "registers");
  std::set<std::string> keys;
  for (const auto& doc : type->lists[0].options) keys.insert(doc.key);
  EXPECT_EQ(keys, (std::set<std::string>{"name", "table", "address", "type", "word_order",
                                         "byte_order", "scale", "offset", "unit"}));
}

TEST(ModbusRegistry, ChecksTheNestedListAndRejectsUndeclaredOnes) {
  auto check = check_adapter("modbus", device(), {{"registers", {reg("x", 0, "int7")}}});
  EXPECT_EQ(by_key(check.errors).count("registers[0].type"), 1u);
  EXPECT_EQ(check.name, "crane");
  auto simulator =
      check_adapter("simulator", {{"profile", std::string("crane")}}, {{"registers", {}}});
  EXPECT_EQ(by_key(simulator.errors)["registers"], "unknown key");
}

TEST(ModbusRegistry, BuildsAnAdapterWhoseSeriesArePrefixedByItsName) {
  ManualClock clock;
  const AdapterHardware hardware = system_hardware();
  OptionErrors errors;
  Values wind = reg("wind_speed_ms", 3);
  wind["unit"] = std::string("m/s");
  auto adapter = create_adapter("modbus", device(), {{"registers", {reg("load_kg", 0), wind}}},
                                AdapterContext{clock, hardware}, errors);
  ASSERT_NE(adapter, nullptr);
  auto series = adapter->series();
  ASSERT_EQ(series.size(), 2u);
  EXPECT_EQ(series[0].name, "crane.load_kg");
  EXPECT_EQ(series[1].name, "crane.wind_speed_ms");
  EXPECT_EQ(series[1].unit, "m/s");
  EXPECT_FALSE(adapter->health().up);  // nothing connects before start()
}

}  // namespace
}  // namespace edgegw
