#include <gtest/gtest.h>

#include <bit>
#include <cstring>

#include "adapters/modbus/register_map.h"

namespace edgegw::modbus {
namespace {

RegisterPoint point(std::string name, Table table, std::uint16_t address, ValueType type) {
  RegisterPoint p;
  p.name = std::move(name);
  p.table = table;
  p.address = address;
  p.type = type;
  return p;
}

std::vector<std::uint16_t> words_of(std::uint64_t raw, int width) {
  std::vector<std::uint16_t> words;
  for (int i = width - 1; i >= 0; --i) words.push_back(static_cast<std::uint16_t>(raw >> (16 * i)));
  return words;
}

TEST(ModbusBlockPlan, ContiguousRegistersOfOneTableShareOneRequest) {
  std::vector<RegisterPoint> points = {
      point("a", Table::holding, 0, ValueType::float32),  // 0-1
      point("b", Table::holding, 2, ValueType::uint16),   // 2
      point("c", Table::holding, 3, ValueType::float64),  // 3-6
      point("d", Table::holding, 10, ValueType::int16),   // gap: new block
      point("e", Table::input, 7, ValueType::uint16),     // same address, other table
      point("f", Table::coil, 0, ValueType::boolean),
      point("g", Table::coil, 1, ValueType::boolean),
  };
  auto blocks = plan_blocks(points);
  ASSERT_EQ(blocks.size(), 4u);
  EXPECT_EQ(blocks[0].table, Table::holding);
  EXPECT_EQ(blocks[0].start, 0);
  EXPECT_EQ(blocks[0].count, 7);
  EXPECT_EQ(blocks[0].points, (std::vector<std::size_t>{0, 1, 2}));
  EXPECT_EQ(blocks[1].start, 10);
  EXPECT_EQ(blocks[1].count, 1);
  EXPECT_EQ(blocks[2].table, Table::input);
  EXPECT_EQ(blocks[3].table, Table::coil);
  EXPECT_EQ(blocks[3].count, 2);
}

TEST(ModbusBlockPlan, OverlappingPointsReadTheirRegistersOnce) {
  // The same register read both as signed and unsigned, and a 32-bit value over both words.
  std::vector<RegisterPoint> points = {point("s", Table::holding, 5, ValueType::int16),
                                       point("u", Table::holding, 5, ValueType::uint16),
                                       point("w", Table::holding, 5, ValueType::uint32)};
  auto blocks = plan_blocks(points);
  ASSERT_EQ(blocks.size(), 1u);
  EXPECT_EQ(blocks[0].start, 5);
  EXPECT_EQ(blocks[0].count, 2);
}

TEST(ModbusBlockPlan, SplitsAtExactlyTheProtocolLimits) {
  std::vector<RegisterPoint> points;
  for (std::uint16_t a = 0; a < 126; ++a)
    points.push_back(point("r", Table::holding, a, ValueType::uint16));
  for (std::uint16_t a = 0; a < 2001; ++a)
    points.push_back(point("b", Table::discrete, a, ValueType::boolean));
  auto blocks = plan_blocks(points);
  ASSERT_EQ(blocks.size(), 4u);
  EXPECT_EQ(blocks[0].count, 125);
  EXPECT_EQ(blocks[1].start, 125);
  EXPECT_EQ(blocks[1].count, 1);
  EXPECT_EQ(blocks[2].count, 2000);
  EXPECT_EQ(blocks[3].start, 2000);
  EXPECT_EQ(blocks[3].count, 1);
}

TEST(ModbusBlockPlan, AValueNeverStraddlesTwoRequests) {
  // 124 single registers, then a float32 at 124-125: it does not fit, so it starts block 2.
  std::vector<RegisterPoint> points;
  for (std::uint16_t a = 0; a < 124; ++a)
    points.push_back(point("r", Table::input, a, ValueType::uint16));
  points.push_back(point("f", Table::input, 124, ValueType::float32));
  auto blocks = plan_blocks(points);
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_EQ(blocks[0].count, 124);
  EXPECT_EQ(blocks[1].start, 124);
  EXPECT_EQ(blocks[1].count, 2);
}

TEST(ModbusBlockPlan, HonoursASmallerDeviceLimit) {
  std::vector<RegisterPoint> points;
  for (std::uint16_t a = 0; a < 20; ++a)
    points.push_back(point("r", Table::holding, a, ValueType::uint16));
  auto blocks = plan_blocks(points, 8, 8);
  ASSERT_EQ(blocks.size(), 3u);
  EXPECT_EQ(blocks[2].start, 16);
  EXPECT_EQ(blocks[2].count, 4);
}

TEST(ModbusDecode, SixteenBitTypesAndScale) {
  auto p = point("p", Table::holding, 0, ValueType::int16);
  std::uint16_t word = 0xFFFE;
  EXPECT_EQ(decode_registers(p, {&word, 1}), -2);
  p.type = ValueType::uint16;
  EXPECT_EQ(decode_registers(p, {&word, 1}), 65534);
  p.scale = 0.1;
  p.offset = -40;
  word = 653;
  EXPECT_DOUBLE_EQ(decode_registers(p, {&word, 1}), 653 * 0.1 - 40);
}

struct OrderCase {
  ValueType type;
  std::uint64_t raw;  // the value's bits, most significant first
  double expected;
};

class ModbusDecodeOrders : public ::testing::TestWithParam<OrderCase> {};

// Each value is stored four ways: both word orders times both byte orders. The stored words are
// derived from the big-endian form by reversing words and/or swapping bytes, as devices do.
TEST_P(ModbusDecodeOrders, EveryWordAndByteOrderGivesTheSameValue) {
  const auto& c = GetParam();
  const int width = width_of(c.type);
  for (Order word_order : {Order::big, Order::little}) {
    for (Order byte_order : {Order::big, Order::little}) {
      auto words = words_of(c.raw, width);
      if (word_order == Order::little) std::reverse(words.begin(), words.end());
      if (byte_order == Order::little) {
        for (auto& w : words) w = static_cast<std::uint16_t>((w << 8) | (w >> 8));
      }
      auto p = point("p", Table::holding, 0, c.type);
      p.word_order = word_order;
      p.byte_order = byte_order;
      EXPECT_EQ(decode_registers(p, words), c.expected)
          << "word_order " << (word_order == Order::big ? "big" : "little") << ", byte_order "
          << (byte_order == Order::big ? "big" : "little");
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllWideTypes, ModbusDecodeOrders,
    ::testing::Values(OrderCase{ValueType::int16, 0x8001, -32767},
                      OrderCase{ValueType::uint16, 0x1234, 0x1234},
                      OrderCase{ValueType::int32, 0xFFFE'1DC0, -123456},
                      OrderCase{ValueType::uint32, 0xDEAD'BEEF, 3735928559.0},
                      OrderCase{ValueType::float32, std::bit_cast<std::uint32_t>(1234.5f), 1234.5},
                      OrderCase{ValueType::int64,
                                static_cast<std::uint64_t>(-9'007'199'254'740'991LL),
                                -9'007'199'254'740'991.0},
                      OrderCase{ValueType::uint64, 0x0102'0304'0506'0708ULL, 72623859790382856.0},
                      OrderCase{ValueType::float64, std::bit_cast<std::uint64_t>(-0.000123456789),
                                -0.000123456789}));

TEST(ModbusDecode, BitsAreZeroOrOne) {
  auto p = point("p", Table::coil, 0, ValueType::boolean);
  EXPECT_EQ(decode_bit(p, 0), 0);
  EXPECT_EQ(decode_bit(p, 1), 1);
  std::uint16_t word = 0x0100;  // a register read as bool: non-zero is 1
  p.table = Table::holding;
  EXPECT_EQ(decode_registers(p, {&word, 1}), 1);
}

}  // namespace
}  // namespace edgegw::modbus
