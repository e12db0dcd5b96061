#include "adapters/modbus/register_map.h"

#include <algorithm>
#include <bit>
#include <cassert>

namespace edgegw::modbus {

std::optional<Table> parse_table(std::string_view text) {
  if (text == "holding") return Table::holding;
  if (text == "input") return Table::input;
  if (text == "coil") return Table::coil;
  if (text == "discrete") return Table::discrete;
  return std::nullopt;
}

std::optional<ValueType> parse_value_type(std::string_view text) {
  if (text == "int16") return ValueType::int16;
  if (text == "uint16") return ValueType::uint16;
  if (text == "int32") return ValueType::int32;
  if (text == "uint32") return ValueType::uint32;
  if (text == "float32") return ValueType::float32;
  if (text == "int64") return ValueType::int64;
  if (text == "uint64") return ValueType::uint64;
  if (text == "float64") return ValueType::float64;
  if (text == "bool") return ValueType::boolean;
  return std::nullopt;
}

std::string_view table_name(Table table) {
  switch (table) {
    case Table::holding:
      return "holding";
    case Table::input:
      return "input";
    case Table::coil:
      return "coil";
    case Table::discrete:
      return "discrete";
  }
  return "?";
}

bool is_bit_table(Table table) {
  return table == Table::coil || table == Table::discrete;
}

std::uint16_t width_of(ValueType type) {
  switch (type) {
    case ValueType::int16:
    case ValueType::uint16:
    case ValueType::boolean:
      return 1;
    case ValueType::int32:
    case ValueType::uint32:
    case ValueType::float32:
      return 2;
    case ValueType::int64:
    case ValueType::uint64:
    case ValueType::float64:
      return 4;
  }
  return 1;
}

std::vector<ReadBlock> plan_blocks(const std::vector<RegisterPoint>& points,
                                   std::uint16_t max_registers, std::uint16_t max_bits) {
  std::vector<std::size_t> order(points.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (points[a].table != points[b].table) return points[a].table < points[b].table;
    return points[a].address < points[b].address;
  });

  std::vector<ReadBlock> blocks;
  // One past the last address the open block covers; 32 bits so 65535 + width cannot wrap.
  std::uint32_t block_end = 0;
  for (std::size_t index : order) {
    const RegisterPoint& point = points[index];
    const std::uint32_t begin = point.address;
    const std::uint32_t end = begin + width_of(point.type);
    const std::uint32_t limit = is_bit_table(point.table) ? max_bits : max_registers;
    const bool extends = !blocks.empty() && blocks.back().table == point.table &&
                         begin <= block_end &&
                         std::max(end, block_end) - blocks.back().start <= limit;
    if (extends) {
      block_end = std::max(end, block_end);
      blocks.back().count = static_cast<std::uint16_t>(block_end - blocks.back().start);
      blocks.back().points.push_back(index);
      continue;
    }
    blocks.push_back({.table = point.table,
                      .start = point.address,
                      .count = static_cast<std::uint16_t>(end - begin),
                      .points = {index}});
    block_end = end;
  }
  return blocks;
}

double decode_registers(const RegisterPoint& point, std::span<const std::uint16_t> words) {
  const std::size_t width = width_of(point.type);
  assert(words.size() >= width);
  // Assemble the value most significant word first, whatever order the device stores them in.
  std::uint64_t raw = 0;
  for (std::size_t i = 0; i < width; ++i) {
    std::uint16_t word = words[point.word_order == Order::big ? i : width - 1 - i];
    if (point.byte_order == Order::little)
      word = static_cast<std::uint16_t>((word << 8) | (word >> 8));
    raw = (raw << 16) | word;
  }
  double value = 0;
  switch (point.type) {
    case ValueType::int16:
      value = static_cast<std::int16_t>(raw);
      break;
    case ValueType::uint16:
      value = static_cast<std::uint16_t>(raw);
      break;
    case ValueType::int32:
      value = static_cast<std::int32_t>(raw);
      break;
    case ValueType::uint32:
      value = static_cast<std::uint32_t>(raw);
      break;
    case ValueType::float32:
      value = std::bit_cast<float>(static_cast<std::uint32_t>(raw));
      break;
    case ValueType::int64:
      value = static_cast<double>(static_cast<std::int64_t>(raw));
      break;
    case ValueType::uint64:
      value = static_cast<double>(raw);
      break;
    case ValueType::float64:
      value = std::bit_cast<double>(raw);
      break;
    case ValueType::boolean:
      value = raw != 0 ? 1 : 0;
      break;
  }
  return value * point.scale + point.offset;
}

double decode_bit(const RegisterPoint& point, std::uint8_t bit) {
  return (bit != 0 ? 1.0 : 0.0) * point.scale + point.offset;
}

}  // namespace edgegw::modbus
