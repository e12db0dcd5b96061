// From a device's answer to readings: a register map (any points the config validation admits:
// bit tables hold bools, a value never runs past address 65535), the read requests planned for
// it, and each request's answer, arbitrary words and bits, decoded point by point exactly as
// ModbusSource does. The plan must serve every point exactly once, from a request of its own
// table that covers all of its registers and stays within the request size; decoding must not
// crash or read out of bounds whatever the device sends.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "adapters/modbus/register_map.h"

namespace {

using namespace edgegw::modbus;

void require(bool condition) {
  if (!condition) __builtin_trap();
}

RegisterPoint point_from(FuzzedDataProvider& in, std::size_t index) {
  RegisterPoint point;
  point.name = "p" + std::to_string(index);
  point.table = in.PickValueInArray({Table::holding, Table::input, Table::coil, Table::discrete});
  point.type = is_bit_table(point.table)
                   ? ValueType::boolean
                   : in.PickValueInArray({ValueType::int16, ValueType::uint16, ValueType::int32,
                                          ValueType::uint32, ValueType::float32, ValueType::int64,
                                          ValueType::uint64, ValueType::float64});
  const auto width = width_of(point.type);
  point.address =
      in.ConsumeIntegralInRange<std::uint16_t>(0, static_cast<std::uint16_t>(65536 - width));
  point.word_order = in.ConsumeBool() ? Order::big : Order::little;
  point.byte_order = in.ConsumeBool() ? Order::big : Order::little;
  point.scale = in.ConsumeFloatingPoint<double>();
  point.offset = in.ConsumeFloatingPoint<double>();
  return point;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  // The widest value is 4 registers: smaller requests are not configurable.
  const auto max_registers = in.ConsumeIntegralInRange<std::uint16_t>(4, kMaxRegistersPerRead);
  const auto max_bits = in.ConsumeIntegralInRange<std::uint16_t>(1, kMaxBitsPerRead);
  std::vector<RegisterPoint> points;
  const auto count = in.ConsumeIntegralInRange<std::size_t>(1, 64);
  for (std::size_t i = 0; i < count; ++i) points.push_back(point_from(in, i));

  const std::vector<ReadBlock> blocks = plan_blocks(points, max_registers, max_bits);
  std::vector<int> served(points.size(), 0);
  for (const auto& block : blocks) {
    require(block.count >= 1);
    require(block.count <= (is_bit_table(block.table) ? max_bits : max_registers));
    require(block.start + block.count <= 65536);
    // The device's answer to this request.
    std::vector<std::uint16_t> words(block.count);
    std::vector<std::uint8_t> bits(block.count);
    for (std::size_t i = 0; i < block.count; ++i) {
      words[i] = in.ConsumeIntegral<std::uint16_t>();
      bits[i] = in.ConsumeBool() ? 1 : 0;
    }
    for (const std::size_t index : block.points) {
      require(index < points.size());
      const RegisterPoint& point = points[index];
      ++served[index];
      require(point.table == block.table);
      require(point.address >= block.start);
      const std::size_t at = point.address - block.start;
      require(at + width_of(point.type) <= block.count);
      const double value =
          is_bit_table(block.table)
              ? decode_bit(point, bits[at])
              : decode_registers(point, std::span<const std::uint16_t>(words).subspan(at));
      static_cast<void>(value);
    }
  }
  for (const int times : served) require(times == 1);
  return 0;
}
