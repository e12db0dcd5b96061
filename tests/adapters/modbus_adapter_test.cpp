#include "adapters/modbus/modbus_adapter.h"

#include <gtest/gtest.h>

#include <mutex>

#include "tests/adapters/fake_modbus_client.h"
#include "tests/adapters/recording_sink.h"
#include "tests/wait_for.h"

namespace edgegw {
namespace {

using edgegw::testing::RecordingSink;

ModbusOptions options() {
  ModbusOptions o;
  o.name = "dev";
  o.poll_interval_ms = 1;
  o.registers.resize(2);
  o.registers[0].name = "a";
  o.registers[1].name = "b";
  o.registers[1].address = 1;
  return o;
}

TEST(ModbusAdapter, ARefusedOfferIsOfferedAgainWithNothingLostOrDoubled) {
  SystemClock clock;
  auto client = std::make_unique<modbus::FakeModbusClient>();
  client->holding = {{0, 7}, {1, 8}};
  ModbusAdapter adapter(options(), clock, std::move(client));
  RecordingSink sink(25);
  adapter.start(sink, {1, 2});
  ASSERT_TRUE(wait_for([&] { return sink.taken().size() >= 20; }));
  adapter.stop();
  EXPECT_GE(adapter.refused_offers(), 25u);
  const auto taken = sink.taken();
  EXPECT_EQ(taken.size(), adapter.delivered_readings());
  // Every poll is delivered whole and in order: a, b, a, b, ...
  for (std::size_t i = 0; i < taken.size(); ++i) {
    EXPECT_EQ(taken[i].series, i % 2 == 0 ? 1u : 2u) << i;
    EXPECT_EQ(taken[i].value, i % 2 == 0 ? 7 : 8) << i;
  }
  EXPECT_EQ(taken.size() / 2, adapter.polls());
}

TEST(ModbusAdapter, HealthIsUpWhileRunningAndDownAfterStop) {
  SystemClock clock;
  ModbusAdapter adapter(options(), clock, std::make_unique<modbus::FakeModbusClient>());
  RecordingSink sink(0);
  EXPECT_FALSE(adapter.health().up);
  adapter.start(sink, {1, 2});
  ASSERT_TRUE(wait_for([&] { return adapter.health().up; }));
  adapter.stop();
  EXPECT_FALSE(adapter.health().up);
}

}  // namespace
}  // namespace edgegw
