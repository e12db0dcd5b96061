#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace edgegw::modbus {

/// The four Modbus data tables. Registers are 16-bit words; coils and discrete inputs are bits.
enum class Table { holding, input, coil, discrete };

/// How the words of one register-map entry are interpreted.
enum class ValueType { int16, uint16, int32, uint32, float32, int64, uint64, float64, boolean };

enum class Order { big, little };

/// One entry of a register map, checked and converted from its config table.
struct RegisterPoint {
  std::string name;
  Table table = Table::holding;
  std::uint16_t address = 0;  ///< zero-based protocol address
  ValueType type = ValueType::uint16;
  Order word_order = Order::big;  ///< big: the first register holds the most significant word
  Order byte_order = Order::big;  ///< big: the standard high byte first within a register
  double scale = 1.0;
  double offset = 0.0;
  std::string unit;
};

/// One read request: `count` registers (or bits) of `table` from `start`, and the points of the
/// map it serves (indices into the map).
struct ReadBlock {
  Table table = Table::holding;
  std::uint16_t start = 0;
  std::uint16_t count = 0;
  std::vector<std::size_t> points;
};

/// The protocol's largest reads: 125 registers (function 3/4) and 2000 bits (function 1/2).
inline constexpr std::uint16_t kMaxRegistersPerRead = 125;
inline constexpr std::uint16_t kMaxBitsPerRead = 2000;

std::optional<Table> parse_table(std::string_view text);
std::optional<ValueType> parse_value_type(std::string_view text);
std::string_view table_name(Table table);
bool is_bit_table(Table table);

/// Registers a value of `type` spans (bits for a bool).
std::uint16_t width_of(ValueType type);

/// Groups the map into as few requests as possible: points of one table whose registers are
/// contiguous (or overlap) share a request, up to `max_registers` words or `max_bits` bits.
/// A gap between points starts a new request, so a device that refuses reads of unmapped
/// addresses is never asked for them. Blocks come out ordered by table, then address.
std::vector<ReadBlock> plan_blocks(const std::vector<RegisterPoint>& points,
                                   std::uint16_t max_registers = kMaxRegistersPerRead,
                                   std::uint16_t max_bits = kMaxBitsPerRead);

/// The point's value from its own registers (width_of(type) words, as read from the device):
/// raw * scale + offset. 64-bit integers beyond 2^53 lose precision in the double.
double decode_registers(const RegisterPoint& point, std::span<const std::uint16_t> words);

/// A bit's value: 0 or 1, then scaled like any other value.
double decode_bit(const RegisterPoint& point, std::uint8_t bit);

}  // namespace edgegw::modbus
