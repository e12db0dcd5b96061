// The modbus adapter against a real Modbus server (pymodbus) over loopback TCP and over an RTU
// serial line made of a socat PTY pair.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <mutex>

#include "adapters/registry.h"
#include "tests/integration/modbus/pymodbus_server.h"
#include "tests/missing_package.h"
#include "tests/wait_for.h"

namespace edgegw {
namespace {

/// Keeps the latest value of each series and counts readings.
class LatestSink final : public ReadingSink {
 public:
  bool offer(std::span<const Reading> readings) override {
    std::lock_guard lock(mutex_);
    for (const auto& r : readings) latest_[r.series] = r.value;
    count_ += readings.size();
    return true;
  }
  std::map<SeriesId, double> latest() const {
    std::lock_guard lock(mutex_);
    return latest_;
  }
  std::size_t count() const {
    std::lock_guard lock(mutex_);
    return count_;
  }
  void clear() {
    std::lock_guard lock(mutex_);
    latest_.clear();
  }

 private:
  mutable std::mutex mutex_;
  std::map<SeriesId, double> latest_;
  std::size_t count_ = 0;
};

struct Expected {
  ServedValue served;
  std::string name;
  double scale = 1;
  double offset = 0;
};

/// Every type in every word and byte order, at addresses 200 and up of the holding table, and
/// bits in the coil and discrete tables; raw values chosen to fill each type's range.
std::vector<Expected> every_type() {
  const std::vector<std::pair<std::string, double>> raws = {{"int16", -12345},
                                                            {"uint16", 54321},
                                                            {"int32", -1234567890},
                                                            {"uint32", 4000000000.0},
                                                            {"float32", -1234.5},
                                                            {"int64", -9007199254740991.0},
                                                            {"uint64", 1152921504606846976.0},
                                                            {"float64", 3.141592653589793}};
  std::vector<Expected> out;
  int address = 200;
  for (const auto& [type, raw] : raws) {
    for (const char* words : {"big", "little"}) {
      for (const char* bytes : {"big", "little"}) {
        Expected e{.served = {.table = "holding",
                              .address = address,
                              .type = type,
                              .word_order = words,
                              .byte_order = bytes,
                              .raw = raw},
                   .name = type + "_w" + words + "_b" + bytes};
        out.push_back(e);
        address += type.ends_with("16") ? 1 : type.ends_with("32") ? 2 : 4;
      }
    }
  }
  out.push_back({.served = {.table = "input", .address = 300, .type = "int16", .raw = 653},
                 .name = "scaled",
                 .scale = 0.1,
                 .offset = -40});
  out.push_back(
      {.served = {.table = "coil", .address = 10, .type = "bool", .raw = 1}, .name = "coil_on"});
  out.push_back(
      {.served = {.table = "coil", .address = 11, .type = "bool", .raw = 0}, .name = "coil_off"});
  out.push_back({.served = {.table = "discrete", .address = 5, .type = "bool", .raw = 1},
                 .name = "discrete_on"});
  return out;
}

AdapterOptionValues register_values(const Expected& e) {
  return {{"name", e.name},
          {"table", e.served.table},
          {"address", std::int64_t{e.served.address}},
          {"type", e.served.type},
          {"word_order", e.served.word_order},
          {"byte_order", e.served.byte_order},
          {"scale", e.scale},
          {"offset", e.offset}};
}

double expected_value(const Expected& e) {
  return e.served.raw * e.scale + e.offset;
}

class ModbusTcpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!PymodbusServer::available()) {
      return missing_package("python3-pymodbus",
                             "/usr/bin/python3 cannot import pymodbus.server, serial and "
                             "serial_asyncio (python3-serial, python3-serial-asyncio)");
    }
  }

  /// Builds and starts a modbus adapter for `registers` against `server`.
  std::unique_ptr<Adapter> start_adapter(const PymodbusServer& server,
                                         const std::vector<AdapterOptionValues>& registers,
                                         AdapterOptionValues extra = {}) {
    AdapterOptionValues values = {
        {"name", std::string("dev")},           {"host", std::string("127.0.0.1")},
        {"port", std::int64_t{server.port()}},  {"poll_interval_ms", std::int64_t{20}},
        {"timeout_ms", std::int64_t{500}},      {"reconnect_min_ms", std::int64_t{20}},
        {"reconnect_max_ms", std::int64_t{200}}};
    for (auto& [key, value] : extra) values[key] = value;
    OptionErrors errors;
    auto adapter = create_adapter("modbus", values, {{"registers", registers}},
                                  AdapterContext{clock_, hardware_}, errors);
    EXPECT_TRUE(errors.empty()) << errors.front().first << " " << errors.front().second;
    if (!adapter) return nullptr;
    std::vector<SeriesId> ids;
    for (std::size_t i = 0; i < registers.size(); ++i) ids.push_back(static_cast<SeriesId>(i + 1));
    adapter->start(sink_, ids);
    return adapter;
  }

  SystemClock clock_;
  const AdapterHardware hardware_ = system_hardware();
  LatestSink sink_;
};

TEST_F(ModbusTcpTest, EveryTypeWordOrderAndByteOrderDecodesToWhatTheServerHolds) {
  auto expected = every_type();
  std::vector<ServedValue> served;
  std::vector<AdapterOptionValues> registers;
  for (const auto& e : expected) {
    served.push_back(e.served);
    registers.push_back(register_values(e));
  }
  PymodbusServer server(served);
  auto adapter = start_adapter(server, registers);
  ASSERT_NE(adapter, nullptr);
  ASSERT_TRUE(wait_for([&] { return sink_.latest().size() == expected.size(); }))
      << adapter->health().last_error << "\n"
      << server.output();
  const auto latest = sink_.latest();
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(latest.at(static_cast<SeriesId>(i + 1)), expected_value(expected[i]))
        << expected[i].name;
  }
  EXPECT_EQ(adapter->health().errors, 0u) << adapter->health().last_error;
  EXPECT_TRUE(adapter->health().up);
  adapter->stop();
}

TEST_F(ModbusTcpTest, AnIllegalAddressIsCountedWhileTheOtherBlocksKeepFlowing) {
  // Every table of the server ends at address 1999: a block at 5000 gets exception 2.
  std::vector<ServedValue> served = {{.table = "holding", .address = 0, .type = "uint16", .raw = 7},
                                     {.table = "input", .address = 3, .type = "uint16", .raw = 8}};
  std::vector<AdapterOptionValues> registers = {
      {{"name", std::string("good_a")}, {"address", std::int64_t{0}}},
      {{"name", std::string("missing")}, {"address", std::int64_t{5000}}},
      {{"name", std::string("good_b")},
       {"table", std::string("input")},
       {"address", std::int64_t{3}}}};
  PymodbusServer server(served);
  auto adapter = start_adapter(server, registers);
  ASSERT_NE(adapter, nullptr);
  ASSERT_TRUE(wait_for([&] { return sink_.count() >= 20 && adapter->health().errors >= 10; }));
  const auto health = adapter->health();
  EXPECT_TRUE(health.up);
  EXPECT_EQ(health.last_error, "holding 5000+1: exception 2: Illegal data address");
  const auto latest = sink_.latest();
  EXPECT_EQ(latest.size(), 2u);
  EXPECT_EQ(latest.at(1), 7);
  EXPECT_EQ(latest.at(3), 8);
  EXPECT_FALSE(latest.contains(2));
  adapter->stop();
}

TEST_F(ModbusTcpTest, TheAdapterRecoversWhenTheServerIsStoppedAndRestarted) {
  PymodbusServer server({{.table = "holding", .address = 0, .type = "uint16", .raw = 42}});
  auto adapter =
      start_adapter(server, {{{"name", std::string("v")}, {"address", std::int64_t{0}}}});
  ASSERT_NE(adapter, nullptr);
  ASSERT_TRUE(wait_for([&] { return adapter->health().up && sink_.count() > 0; }));

  server.stop();
  ASSERT_TRUE(wait_for([&] { return !adapter->health().up; }));
  const auto errors_while_down = adapter->health().errors;
  EXPECT_GE(errors_while_down, 1u);
  ASSERT_TRUE(wait_for([&] { return adapter->health().errors > errors_while_down + 2; }))
      << "reconnection attempts are counted while the server is down";
  EXPECT_NE(adapter->health().last_error.find("connect"), std::string::npos)
      << adapter->health().last_error;

  server.start();
  const auto before = sink_.count();
  ASSERT_TRUE(wait_for([&] { return adapter->health().up && sink_.count() > before + 5; }))
      << adapter->health().last_error;
  EXPECT_EQ(sink_.latest().at(1), 42);
  adapter->stop();
}

TEST(ModbusRtu, ReadsEveryTableOverASerialLine) {
  if (!PymodbusServer::available()) {
    return missing_package("python3-pymodbus", "/usr/bin/python3 cannot import pymodbus");
  }
  if (!PtyPair::available()) return missing_package("socat", "/usr/bin/socat");
  PtyPair line;
  std::vector<ServedValue> served = {
      {.table = "holding", .address = 0, .type = "float32", .word_order = "little", .raw = 12.5},
      {.table = "input", .address = 4, .type = "int32", .raw = -70000},
      {.table = "coil", .address = 2, .type = "bool", .raw = 1}};
  PymodbusServer server(served, line.device_end(), 19200);
  SystemClock clock;
  const AdapterHardware hardware = system_hardware();
  LatestSink sink;
  OptionErrors errors;
  auto adapter = create_adapter("modbus",
                                {{"name", std::string("rtu")},
                                 {"transport", std::string("rtu")},
                                 {"device", line.master_end()},
                                 {"baud", std::int64_t{19200}},
                                 {"poll_interval_ms", std::int64_t{20}},
                                 {"timeout_ms", std::int64_t{500}},
                                 {"reconnect_min_ms", std::int64_t{20}}},
                                {{"registers",
                                  {{{"name", std::string("f")},
                                    {"address", std::int64_t{0}},
                                    {"type", std::string("float32")},
                                    {"word_order", std::string("little")}},
                                   {{"name", std::string("i")},
                                    {"table", std::string("input")},
                                    {"address", std::int64_t{4}},
                                    {"type", std::string("int32")}},
                                   {{"name", std::string("c")},
                                    {"table", std::string("coil")},
                                    {"address", std::int64_t{2}},
                                    {"type", std::string("bool")}}}}},
                                AdapterContext{clock, hardware}, errors);
  ASSERT_NE(adapter, nullptr) << errors.front().first << " " << errors.front().second;
  adapter->start(sink, {1, 2, 3});
  ASSERT_TRUE(wait_for([&] { return sink.latest().size() == 3; }))
      << adapter->health().last_error << "\n"
      << server.output();
  const auto latest = sink.latest();
  EXPECT_EQ(latest.at(1), 12.5);
  EXPECT_EQ(latest.at(2), -70000);
  EXPECT_EQ(latest.at(3), 1);
  adapter->stop();
}

}  // namespace
}  // namespace edgegw
