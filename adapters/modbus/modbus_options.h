#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "adapters/modbus/register_map.h"
#include "gateway/model/option_table.h"

namespace edgegw {

/// Config errors as {key, message}, the shape `fill_options` returns.
using OptionErrors = std::vector<std::pair<std::string, std::string>>;

/// Configuration of one `[[adapters]] type = "modbus"` table: one device. Defaults are the
/// member initialisers; `modbus_option_table()` documents every key.
struct ModbusOptions {
  std::string name;
  std::string transport = "tcp";
  std::string host = "127.0.0.1";
  std::int64_t port = 502;
  std::string device;
  std::int64_t baud = 19200;
  std::string parity = "N";
  std::int64_t data_bits = 8;
  std::int64_t stop_bits = 1;
  std::int64_t unit_id = 1;
  std::int64_t poll_interval_ms = 500;
  std::int64_t timeout_ms = 1000;
  std::int64_t reconnect_min_ms = 500;
  std::int64_t reconnect_max_ms = 30000;
  std::int64_t max_block_registers = modbus::kMaxRegistersPerRead;
  std::int64_t max_block_bits = modbus::kMaxBitsPerRead;
  /// From the `[[adapters.registers]]` tables, checked.
  std::vector<modbus::RegisterPoint> registers;
};

/// One `[[adapters.registers]]` table as written; parse_modbus_options converts it to a
/// modbus::RegisterPoint.
struct ModbusRegisterOptions {
  std::string name;
  std::string table = "holding";
  std::int64_t address = 0;
  std::string type = "uint16";
  std::string word_order = "big";
  std::string byte_order = "big";
  double scale = 1.0;
  double offset = 0.0;
  std::string unit;
};

/// The device's keys: the parser's table and the user-facing reference at once.
const OptionTable<ModbusOptions>& modbus_option_table();
/// The keys of each `[[adapters.registers]]` table.
const OptionTable<ModbusRegisterOptions>& modbus_register_option_table();

/// Fills `out` from an adapter's scalar values and its `registers` list (each table's values in
/// file order). Errors on a register name the key as "registers[<index>].<key>", index from 0.
OptionErrors parse_modbus_options(const std::map<std::string, OptionValue>& values,
                                  const std::vector<std::map<std::string, OptionValue>>& registers,
                                  ModbusOptions& out);

}  // namespace edgegw
