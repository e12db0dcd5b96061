#include "adapters/modbus/modbus_source.h"

#include <gtest/gtest.h>

#include "adapters/adapter_runner.h"
#include "tests/fakes/fake_modbus_client.h"
#include "tests/fakes/recording_sink.h"
#include "tests/wait_for.h"

namespace edgegw::modbus {
namespace {

using std::chrono::milliseconds;

RegisterPoint point(std::string name, Table table, std::uint16_t address, ValueType type,
                    double scale = 1.0) {
  RegisterPoint p;
  p.name = std::move(name);
  p.table = table;
  p.address = address;
  p.type = type;
  p.scale = scale;
  return p;
}

ModbusOptions crane_options() {
  ModbusOptions options;
  options.name = "crane";
  options.poll_interval_ms = 500;
  options.reconnect_min_ms = 1000;
  options.reconnect_max_ms = 8000;
  options.registers = {point("load_kg", Table::holding, 0, ValueType::float32),
                       point("radius_m", Table::holding, 2, ValueType::uint16, 0.1),
                       point("wind_speed_ms", Table::input, 100, ValueType::int16, 0.01),
                       point("fault", Table::coil, 7, ValueType::boolean)};
  return options;
}

class ModbusSourceTest : public ::testing::Test {
 protected:
  ModbusSourceTest() {
    client->holding = {{0, 0x4496}, {1, 0x8000}, {2, 123}};  // 1204.0f, 12.3 m
    client->input = {{100, static_cast<std::uint16_t>(-250)}};
    client->coils = {{7, 1}};
    source.bind({11, 12, 13, 14});
  }
  std::vector<double> values_of(const std::vector<Reading>& readings, SeriesId id) {
    std::vector<double> values;
    for (const auto& r : readings) {
      if (r.series == id) values.push_back(r.value);
    }
    return values;
  }

  std::unique_ptr<FakeModbusClient> owned = std::make_unique<FakeModbusClient>();
  FakeModbusClient* client = owned.get();
  ManualClock clock;
  ModbusSource source{crane_options(), clock, std::move(owned)};
  EventStopSignal stop;
};

TEST_F(ModbusSourceTest, ReadsEachBlockOnceAndDecodesEveryPoint) {
  ASSERT_EQ(source.open(), "");
  std::vector<Reading> out;
  const auto result = source.read(out, stop);
  EXPECT_TRUE(result.errors.empty());
  EXPECT_FALSE(result.lost);
  ASSERT_EQ(client->requests().size(), 3u);  // holding 0-2, input 100, coil 7
  EXPECT_EQ(client->requests()[0].count, 3u);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(values_of(out, 11), std::vector<double>{1204.0});
  EXPECT_DOUBLE_EQ(values_of(out, 12).at(0), 12.3);
  EXPECT_DOUBLE_EQ(values_of(out, 13).at(0), -2.5);
  EXPECT_EQ(values_of(out, 14), std::vector<double>{1});
  for (const auto& r : out) EXPECT_EQ(r.ts_ms, clock.wall_ms());
}

TEST_F(ModbusSourceTest, AnIllegalAddressSpoilsOnlyItsBlock) {
  client->illegal_addresses = {100};
  ASSERT_EQ(source.open(), "");
  std::vector<Reading> out;
  const auto result = source.read(out, stop);
  EXPECT_EQ(out.size(), 3u);  // everything but wind
  EXPECT_TRUE(values_of(out, 13).empty());
  EXPECT_EQ(result.errors,
            std::vector<std::string>{"input 100+1: exception 2: Illegal data address"});
  EXPECT_FALSE(result.lost);
  EXPECT_TRUE(client->connected());  // an exception is an answer: the link is fine
}

TEST_F(ModbusSourceTest, TimeoutsAndCrcErrorsAreReportedWithTheirReasons) {
  client->next_failures = {{.kind = ClientResult::Kind::timeout, .message = "Connection timed out"},
                           {.kind = ClientResult::Kind::crc, .message = "Invalid CRC"}};
  ASSERT_EQ(source.open(), "");
  std::vector<Reading> out;
  const auto result = source.read(out, stop);
  EXPECT_EQ(out.size(), 1u);  // the coil block still came through
  EXPECT_EQ(result.errors, (std::vector<std::string>{"holding 0+3: timeout: Connection timed out",
                                                     "input 100+1: crc: Invalid CRC"}));
  EXPECT_FALSE(result.lost);
}

TEST_F(ModbusSourceTest, EveryBlockTimingOutCountsAsALostLink) {
  for (int i = 0; i < 3; ++i) {
    client->next_failures.push_back({.kind = ClientResult::Kind::timeout, .message = "timed out"});
  }
  ASSERT_EQ(source.open(), "");
  std::vector<Reading> out;
  const auto result = source.read(out, stop);
  EXPECT_TRUE(result.lost);
  EXPECT_EQ(result.errors.size(), 3u);
  source.close();
  EXPECT_EQ(client->closes(), 1);
}

TEST_F(ModbusSourceTest, ATimeoutBesideAnExceptionIsNotALostLink) {
  client->illegal_addresses = {100, 7};  // input 100 and coil 7 answer with exceptions
  client->next_failures = {{.kind = ClientResult::Kind::timeout, .message = "timed out"}};
  ASSERT_EQ(source.open(), "");
  std::vector<Reading> out;
  // The first block asked (holding) times out, the other two answer with exceptions.
  const auto result = source.read(out, stop);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(result.errors.size(), 3u);
  EXPECT_FALSE(result.lost) << "a device that answers exceptions is there";
}

TEST_F(ModbusSourceTest, AStopBetweenBlocksEndsTheRead) {
  ASSERT_EQ(source.open(), "");
  stop.request_stop();
  std::vector<Reading> out;
  source.read(out, stop);
  EXPECT_TRUE(client->requests().empty());
}

TEST_F(ModbusSourceTest, AConnectionLostMidReadStopsTheReadThere) {
  client->next_failures = {{.kind = ClientResult::Kind::connection_lost, .message = "reset"}};
  ASSERT_EQ(source.open(), "");
  std::vector<Reading> out;
  const auto result = source.read(out, stop);
  EXPECT_TRUE(result.lost);
  EXPECT_EQ(client->requests().size(), 1u) << "no block is asked for on a dead link";
  EXPECT_EQ(result.errors, std::vector<std::string>{"holding 0+3: connection lost: reset"});
}

TEST_F(ModbusSourceTest, ARefusedConnectionSaysWhy) {
  client->refuse_connects = 1;
  EXPECT_EQ(source.open(), "connect: connection lost: Connection refused");
  EXPECT_EQ(source.open(), "");
}

TEST_F(ModbusSourceTest, TheNextReadIsOneIntervalAfterTheLastStarted) {
  const auto started = clock.monotonic();
  EXPECT_EQ(source.next_read(started).at, started + milliseconds(500));
  EXPECT_EQ(source.next_read(started).fd, -1);
  const auto backoff = source.reopen_backoff();
  EXPECT_EQ(backoff.min, milliseconds(1000));
  EXPECT_EQ(backoff.max, milliseconds(8000));
}

TEST(ModbusAdapter, ALostDeviceIsReconnectedByTheRunnerAndCountedInHealth) {
  SystemClock clock;
  auto owned = std::make_unique<FakeModbusClient>();
  FakeModbusClient* client = owned.get();
  client->holding = {{0, 0x4496}, {1, 0x8000}, {2, 123}};
  client->refuse_connects = 3;
  auto options = crane_options();
  options.poll_interval_ms = 1;
  options.reconnect_min_ms = 1;
  options.reconnect_max_ms = 4;
  AdapterRunner adapter(std::make_unique<ModbusSource>(options, clock, std::move(owned)), clock);
  testing::RecordingSink sink;
  adapter.start(sink, {11, 12, 13, 14});
  ASSERT_TRUE(wait_for([&] { return sink.taken().size() >= 8; }));
  adapter.stop();
  EXPECT_EQ(client->connects(), 4);
  const auto health = adapter.health();
  EXPECT_GE(health.errors, 3u);
  EXPECT_FALSE(health.up) << "down after stop";
}

}  // namespace
}  // namespace edgegw::modbus
