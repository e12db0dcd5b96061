#include "adapters/modbus/modbus_poller.h"

#include <gtest/gtest.h>

#include "tests/adapters/fake_modbus_client.h"

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

class ModbusPollerTest : public ::testing::Test {
 protected:
  ModbusPollerTest() {
    client.holding = {{0, 0x4496}, {1, 0x8000}, {2, 123}};  // 1204.0f, 12.3 m
    client.input = {{100, static_cast<std::uint16_t>(-250)}};
    client.coils = {{7, 1}};
  }
  std::vector<double> values_of(const std::vector<Reading>& readings, SeriesId id) {
    std::vector<double> values;
    for (const auto& r : readings) {
      if (r.series == id) values.push_back(r.value);
    }
    return values;
  }

  ModbusOptions options = crane_options();
  FakeModbusClient client;
  ManualClock clock;
  ModbusPoller poller{options, client, clock, {11, 12, 13, 14}};
};

TEST_F(ModbusPollerTest, ReadsEachBlockOnceAndDecodesEveryPoint) {
  std::vector<Reading> out;
  const auto started = clock.monotonic();
  EXPECT_EQ(poller.poll(out), started + milliseconds(500));
  ASSERT_EQ(client.requests().size(), 3u);  // holding 0-2, input 100, coil 7
  EXPECT_EQ(client.requests()[0].count, 3u);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(values_of(out, 11), std::vector<double>{1204.0});
  EXPECT_DOUBLE_EQ(values_of(out, 12).at(0), 12.3);
  EXPECT_DOUBLE_EQ(values_of(out, 13).at(0), -2.5);
  EXPECT_EQ(values_of(out, 14), std::vector<double>{1});
  for (const auto& r : out) EXPECT_EQ(r.ts_ms, clock.wall_ms());
  EXPECT_TRUE(poller.health().up);
  EXPECT_EQ(poller.health().errors, 0u);
}

TEST_F(ModbusPollerTest, AnIllegalAddressSpoilsOnlyItsBlock) {
  client.illegal_addresses = {100};
  std::vector<Reading> out;
  poller.poll(out);
  EXPECT_EQ(out.size(), 3u);  // everything but wind
  EXPECT_TRUE(values_of(out, 13).empty());
  auto health = poller.health();
  EXPECT_TRUE(health.up);
  EXPECT_EQ(health.errors, 1u);
  EXPECT_EQ(health.last_error, "input 100+1: exception 2: Illegal data address");
  EXPECT_TRUE(client.connected());  // an exception is an answer: the link is fine
}

TEST_F(ModbusPollerTest, TimeoutsAndCrcErrorsAreCountedWithTheirReasons) {
  client.next_failures = {{.kind = ClientResult::Kind::timeout, .message = "Connection timed out"},
                          {.kind = ClientResult::Kind::crc, .message = "Invalid CRC"}};
  std::vector<Reading> out;
  poller.poll(out);
  EXPECT_EQ(out.size(), 1u);  // the coil block still came through
  EXPECT_EQ(poller.health().errors, 2u);
  EXPECT_EQ(poller.health().last_error, "input 100+1: crc: Invalid CRC");
  EXPECT_TRUE(client.connected());
}

TEST_F(ModbusPollerTest, EveryBlockTimingOutReopensTheLink) {
  for (int i = 0; i < 3; ++i) {
    client.next_failures.push_back({.kind = ClientResult::Kind::timeout, .message = "timed out"});
  }
  std::vector<Reading> out;
  const auto started = clock.monotonic();
  EXPECT_EQ(poller.poll(out), started + milliseconds(1000));
  EXPECT_EQ(client.closes(), 1);
  EXPECT_FALSE(poller.health().up);
}

TEST_F(ModbusPollerTest, ALostLinkIsReopenedWithCappedExponentialBackoff) {
  std::vector<Reading> out;
  poller.poll(out);
  ASSERT_EQ(client.connects(), 1);
  client.next_failures = {{.kind = ClientResult::Kind::connection_lost, .message = "reset"}};
  client.refuse_connects = 100;
  const auto lost_at = clock.monotonic();
  EXPECT_EQ(poller.poll(out), lost_at + milliseconds(1000));
  EXPECT_FALSE(poller.health().up);

  // Exactly at the edge: 999 ms is too early (no attempt), 1000 ms tries (and is refused).
  clock.advance(milliseconds(999));
  poller.poll(out);
  EXPECT_EQ(client.connects(), 1);
  clock.advance(milliseconds(1));
  EXPECT_EQ(poller.poll(out), clock.monotonic() + milliseconds(2000));
  EXPECT_EQ(client.connects(), 2);
  EXPECT_EQ(poller.health().last_error, "connect: connection lost: Connection refused");

  std::vector<milliseconds> waits;
  for (int i = 0; i < 4; ++i) {
    auto next = poller.poll(out);
    ASSERT_GT(next, clock.monotonic());
    waits.push_back(std::chrono::duration_cast<milliseconds>(next - clock.monotonic()));
    clock.advance(waits.back());
  }
  EXPECT_EQ(waits, (std::vector<milliseconds>{milliseconds(2000), milliseconds(4000),
                                              milliseconds(8000), milliseconds(8000)}));

  client.refuse_connects = 0;
  out.clear();
  EXPECT_EQ(poller.poll(out), clock.monotonic() + milliseconds(500));
  EXPECT_EQ(out.size(), 4u);
  EXPECT_TRUE(poller.health().up);
  EXPECT_EQ(poller.failed_attempts(), 0);
}

TEST_F(ModbusPollerTest, ADeviceThatAcceptsAndDropsAtOnceKeepsBackingOff) {
  std::vector<Reading> out;
  for (int i = 0; i < 3; ++i) {
    client.next_failures.push_back(
        {.kind = ClientResult::Kind::connection_lost, .message = "reset"});
    auto next = poller.poll(out);
    clock.advance(std::chrono::duration_cast<milliseconds>(next - clock.monotonic()));
  }
  EXPECT_EQ(poller.failed_attempts(), 3);
  EXPECT_EQ(ModbusPoller::backoff_delay(options, 3), milliseconds(4000));
  EXPECT_TRUE(out.empty());
}

TEST_F(ModbusPollerTest, AnOverrunPollIsFollowedAtOnceWithoutCatchingUp) {
  options.poll_interval_ms = 1;  // the fake answers instantly, but the clock can be moved
  std::vector<Reading> out;
  clock.advance(milliseconds(0));
  auto next = poller.poll(out);
  EXPECT_EQ(next, clock.monotonic() + milliseconds(1));
  clock.advance(milliseconds(50));
  EXPECT_EQ(poller.poll(out), clock.monotonic() + milliseconds(1));
}

}  // namespace
}  // namespace edgegw::modbus
