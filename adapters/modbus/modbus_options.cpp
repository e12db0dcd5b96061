#include "adapters/modbus/modbus_options.h"

#include <set>

#include "adapters/adapter_name.h"

namespace edgegw {

const OptionTable<ModbusOptions>& modbus_option_table() {
  static const OptionTable<ModbusOptions> table = {
      {.key = "name",
       .member = &ModbusOptions::name,
       .description = "Adapter name, unique among adapters; every series is \"<name>.<register "
                      "name>\", e.g. \"crane.load_kg\". Letters, digits, '_', '-' and '.'.",
       .required = true},
      {.key = "transport",
       .member = &ModbusOptions::transport,
       .description = "\"tcp\": Modbus TCP to host:port. \"rtu\": Modbus RTU on a serial line "
                      "(RS-485 or RS-232) at device.",
       .choices = "tcp rtu"},
      {.key = "host",
       .member = &ModbusOptions::host,
       .description = "tcp: the device's (or the serial gateway's) address."},
      {.key = "port",
       .member = &ModbusOptions::port,
       .description = "tcp: its port.",
       .min = 1,
       .max = 65535},
      {.key = "device",
       .member = &ModbusOptions::device,
       .description = "rtu: the serial port, e.g. \"/dev/ttyUSB0\"; required with rtu."},
      {.key = "baud",
       .member = &ModbusOptions::baud,
       .description = "rtu: bits per second.",
       .min = 300,
       .max = 4000000},
      {.key = "parity",
       .member = &ModbusOptions::parity,
       .description = "rtu: \"N\" none, \"E\" even, \"O\" odd.",
       .choices = "N E O"},
      {.key = "data_bits",
       .member = &ModbusOptions::data_bits,
       .description = "rtu.",
       .min = 5,
       .max = 8},
      {.key = "stop_bits",
       .member = &ModbusOptions::stop_bits,
       .description = "rtu.",
       .min = 1,
       .max = 2},
      {.key = "unit_id",
       .member = &ModbusOptions::unit_id,
       .description = "The device's unit (slave) id. Several devices are several adapters.",
       .min = 0,
       .max = 255},
      {.key = "poll_interval_ms",
       .member = &ModbusOptions::poll_interval_ms,
       .description = "Time from the start of one poll of the whole map to the next. A poll that "
                      "takes longer is followed at once by the next, without a burst to catch up.",
       .min = 1,
       .max = 86'400'000},
      {.key = "timeout_ms",
       .member = &ModbusOptions::timeout_ms,
       .description = "How long to wait for each answer (and for a TCP connection) before the "
                      "request counts as failed with reason timeout.",
       .min = 1,
       .max = 60000},
      {.key = "reconnect_min_ms",
       .member = &ModbusOptions::reconnect_min_ms,
       .description = "Longest first wait before connecting again after the link failed: each "
                      "wait is random between 0 and a cap that starts here and doubles with "
                      "every failed attempt up to reconnect_max_ms.",
       .min = 1,
       .max = 3'600'000},
      {.key = "reconnect_max_ms",
       .member = &ModbusOptions::reconnect_max_ms,
       .description = "The cap the waits between connection attempts stop doubling at.",
       .min = 1,
       .max = 3'600'000},
      {.key = "max_block_registers",
       .member = &ModbusOptions::max_block_registers,
       .description = "Most registers asked for in one request (the protocol allows 125; some "
                      "devices accept fewer).",
       .min = 1,
       .max = modbus::kMaxRegistersPerRead},
      {.key = "max_block_bits",
       .member = &ModbusOptions::max_block_bits,
       .description = "Most coils or discrete inputs asked for in one request.",
       .min = 1,
       .max = modbus::kMaxBitsPerRead},
  };
  return table;
}

const OptionTable<ModbusRegisterOptions>& modbus_register_option_table() {
  static const OptionTable<ModbusRegisterOptions> table = {
      {.key = "name",
       .member = &ModbusRegisterOptions::name,
       .description = "The series is \"<adapter name>.<name>\". Unique within the adapter.",
       .required = true},
      {.key = "table",
       .member = &ModbusRegisterOptions::table,
       .description = "Which table: holding registers (function 3), input registers (4), coils "
                      "(1) or discrete inputs (2). Coils and discrete inputs are type \"bool\".",
       .choices = "holding input coil discrete"},
      {.key = "address",
       .member = &ModbusRegisterOptions::address,
       .description = "Zero-based protocol address of the first register (40001 in a manual "
                      "that counts from 1 is address 0 of the holding table).",
       .min = 0,
       .max = 65535,
       .required = true},
      {.key = "type",
       .member = &ModbusRegisterOptions::type,
       .description = "How its registers are read: 16-bit types take 1 register, 32-bit 2, "
                      "64-bit 4; \"bool\" is one coil or discrete input (or a register, non-zero "
                      "= 1). 64-bit integers beyond 2^53 lose precision.",
       .choices = "int16 uint16 int32 uint32 float32 int64 uint64 float64 bool"},
      {.key = "word_order",
       .member = &ModbusRegisterOptions::word_order,
       .description = "For values of several registers: \"big\" the first register holds the "
                      "most significant word, \"little\" the least.",
       .choices = "big little"},
      {.key = "byte_order",
       .member = &ModbusRegisterOptions::byte_order,
       .description = "Within each register: \"big\" high byte first (the standard), \"little\" "
                      "for byte-swapped devices.",
       .choices = "big little"},
      {.key = "scale",
       .member = &ModbusRegisterOptions::scale,
       .description = "value = raw * scale + offset (e.g. 0.1 for a register in tenths)."},
      {.key = "offset", .member = &ModbusRegisterOptions::offset, .description = "See scale."},
      {.key = "unit",
       .member = &ModbusRegisterOptions::unit,
       .description = "Unit of the value, e.g. \"kg\"."},
  };
  return table;
}

OptionErrors parse_modbus_options(const std::map<std::string, OptionValue>& values,
                                  const std::vector<std::map<std::string, OptionValue>>& registers,
                                  ModbusOptions& out) {
  OptionErrors errors = fill_options(out, modbus_option_table(), values);
  if (auto problem = series_name_problem(out.name); problem && !out.name.empty()) {
    errors.emplace_back("name", *problem);
  }
  if (out.transport == "rtu" && out.device.empty()) {
    errors.emplace_back("device", "is required with transport = \"rtu\"");
  }
  if (out.reconnect_max_ms < out.reconnect_min_ms) {
    errors.emplace_back("reconnect_max_ms", "must be at least reconnect_min_ms");
  }
  if (registers.empty()) {
    errors.emplace_back("registers", "is required: at least one [[adapters.registers]] table");
  }

  std::set<std::string> names;
  out.registers.clear();
  for (std::size_t i = 0; i < registers.size(); ++i) {
    const std::string prefix = "registers[" + std::to_string(i) + "].";
    ModbusRegisterOptions entry;
    const auto found = fill_options(entry, modbus_register_option_table(), registers[i]);
    for (const auto& [key, message] : found) errors.emplace_back(prefix + key, message);
    if (!found.empty()) continue;

    modbus::RegisterPoint point{
        .name = entry.name,
        .table = *modbus::parse_table(entry.table),
        .address = static_cast<std::uint16_t>(entry.address),
        .type = *modbus::parse_value_type(entry.type),
        .word_order = entry.word_order == "big" ? modbus::Order::big : modbus::Order::little,
        .byte_order = entry.byte_order == "big" ? modbus::Order::big : modbus::Order::little,
        .scale = entry.scale,
        .offset = entry.offset,
        .unit = entry.unit};
    bool ok = true;
    if (auto problem = series_name_problem(point.name)) {
      errors.emplace_back(prefix + "name", *problem);
      ok = false;
    } else if (!names.insert(point.name).second) {
      errors.emplace_back(prefix + "name", "\"" + point.name + "\" is used twice");
      ok = false;
    }
    if (modbus::is_bit_table(point.table) && point.type != modbus::ValueType::boolean) {
      errors.emplace_back(prefix + "type", "is \"" + entry.type + "\", must be \"bool\" in the " +
                                               entry.table + " table");
      ok = false;
    }
    if (point.address + modbus::width_of(point.type) > 65536) {
      errors.emplace_back(prefix + "address", "is " + std::to_string(point.address) + ", a " +
                                                  entry.type + " there runs past address 65535");
      ok = false;
    }
    if (ok) out.registers.push_back(std::move(point));
  }
  return errors;
}

}  // namespace edgegw
