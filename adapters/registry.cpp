#include "adapters/registry.h"

#include "adapters/adapter_runner.h"
#include "adapters/gpio/libgpiod_lines.h"
#include "adapters/hx711/hx711_source.h"
#include "adapters/modbus/libmodbus_client.h"
#include "adapters/modbus/modbus_source.h"
#include "adapters/pir/pir_source.h"
#include "adapters/simulator/simulator_source.h"

namespace edgegw {
namespace {

const std::vector<AdapterOptionValues>& list_or_empty(const AdapterOptionLists& lists,
                                                      const std::string& key) {
  static const std::vector<AdapterOptionValues> none;
  auto found = lists.find(key);
  return found == lists.end() ? none : found->second;
}

/// Fills `type`'s check and create from how its options are parsed and how its source is
/// built from them: every adapter is its source under the core runner, and bad options build
/// nothing.
template <class Options, class Parse, class Build>
AdapterType with_builders(AdapterType type, Parse parse, Build build) {
  type.check = [parse](const AdapterOptionValues& values, const AdapterOptionLists& lists) {
    Options options;
    AdapterCheck check;
    check.errors = parse(values, lists, options);
    check.name = options.name;
    return check;
  };
  type.create = [parse, build](const AdapterOptionValues& values, const AdapterOptionLists& lists,
                               const AdapterContext& context,
                               OptionErrors& errors) -> std::unique_ptr<Adapter> {
    Options options;
    OptionErrors found = parse(values, lists, options);
    if (!found.empty()) {
      errors.insert(errors.end(), found.begin(), found.end());
      return nullptr;
    }
    return std::make_unique<AdapterRunner>(build(std::move(options), context), context.clock);
  };
  return type;
}

AdapterType simulator_type() {
  return with_builders<SimulatorOptions>(
      {.type = "simulator",
       .summary = "Synthetic, seeded sensor data: a chocolate box on a load cell with a PIR "
                  "sensor, or a crane's telemetry over lift cycles. For demos and benchmarks.",
       .options = describe_options(simulator_option_table()),
       .lists = {},
       .check = {},
       .create = {}},
      [](const AdapterOptionValues& values, const AdapterOptionLists&, SimulatorOptions& options) {
        return parse_simulator_options(values, options);
      },
      [](SimulatorOptions options, const AdapterContext& context) {
        return std::make_unique<SimulatorSource>(std::move(options), context.clock);
      });
}

AdapterType modbus_type() {
  return with_builders<ModbusOptions>(
      {.type = "modbus",
       .summary =
           "One Modbus device over TCP or RTU (serial), polled on its own thread. Contiguous "
           "registers of one table are read in one request; a block that fails (exception, "
           "timeout, CRC) is counted in adapter_errors_total with its reason in /api/v1/status "
           "while the other blocks keep flowing; a lost link is opened again with capped "
           "exponential backoff. Several devices are several adapters.",
       .options = describe_options(modbus_option_table()),
       .lists = {{.key = "registers",
                  .summary = "The register map, one table per value; at least one. Each becomes "
                             "the series \"<adapter name>.<name>\".",
                  .options = describe_options(modbus_register_option_table())}},
       .check = {},
       .create = {}},
      [](const AdapterOptionValues& values, const AdapterOptionLists& lists,
         ModbusOptions& options) {
        return parse_modbus_options(values, list_or_empty(lists, "registers"), options);
      },
      [](ModbusOptions options, const AdapterContext& context) {
        auto client = context.hardware.modbus(options);
        return std::make_unique<modbus::ModbusSource>(std::move(options), context.clock,
                                                      std::move(client));
      });
}

AdapterType hx711_type() {
  return with_builders<Hx711Options>(
      {.type = "hx711",
       .summary =
           "An HX711 load-cell ADC on two GPIO lines (DOUT, PD_SCK), bit-banged through libgpiod "
           "on its own thread: each reading is the median of N conversions in grams from "
           "offset and scale. A pulse held high too long (the part powers down at 60 us) drops "
           "the frame; a DOUT that never falls counts as an error. Series \"<name>.weight_g\".",
       .options = describe_options(hx711_option_table()),
       .lists = {},
       .check = {},
       .create = {}},
      [](const AdapterOptionValues& values, const AdapterOptionLists&, Hx711Options& options) {
        return parse_hx711_options(values, options);
      },
      [](Hx711Options options, const AdapterContext& context) {
        return std::make_unique<Hx711Source>(
            std::move(options), context.clock,
            Hx711Hardware{.lines = context.hardware.gpio(),
                          .pulse_clock = context.hardware.pulse_clock()});
      });
}

AdapterType gpio_pir_type() {
  return with_builders<PirOptions>(
      {.type = "gpio_pir",
       .summary =
           "A PIR motion sensor on one GPIO line through libgpiod: both edges with the kernel's "
           "timestamps, waited for on the line's event file descriptor, debounced, sent as "
           "\"<name>.motion\" (1/0) on each change and as a heartbeat.",
       .options = describe_options(pir_option_table()),
       .lists = {},
       .check = {},
       .create = {}},
      [](const AdapterOptionValues& values, const AdapterOptionLists&, PirOptions& options) {
        return parse_pir_options(values, options);
      },
      [](PirOptions options, const AdapterContext& context) {
        return std::make_unique<PirSource>(std::move(options), context.clock,
                                           context.hardware.gpio());
      });
}

/// Nested lists the type does not declare, as errors on their keys.
OptionErrors undeclared_lists(const AdapterType& type, const AdapterOptionLists& lists) {
  OptionErrors errors;
  for (const auto& [key, tables] : lists) {
    bool declared = false;
    for (const auto& list : type.lists) declared = declared || list.key == key;
    if (!declared) errors.emplace_back(key, "unknown key");
  }
  return errors;
}

std::string known_types() {
  std::string names;
  for (const auto& type : adapter_types()) {
    if (!names.empty()) names += ", ";
    names += type.type;
  }
  return names;
}

std::pair<std::string, std::string> unknown_type(std::string_view type) {
  return {"type", "is \"" + std::string(type) + "\", must be one of: " + known_types()};
}

}  // namespace

AdapterHardware system_hardware() {
  return {
      .gpio = [] { return std::make_unique<gpio::LibgpiodLineOpener>(); },
      .pulse_clock = [] { return std::make_unique<hx711::SteadyPulseClock>(); },
      .modbus = [](const ModbusOptions& options) -> std::unique_ptr<modbus::ModbusClient> {
        return std::make_unique<modbus::LibmodbusClient>(options);
      },
  };
}

const std::vector<AdapterType>& adapter_types() {
  static const std::vector<AdapterType> types = {simulator_type(), modbus_type(), hx711_type(),
                                                 gpio_pir_type()};
  return types;
}

const AdapterType* find_adapter_type(std::string_view type) {
  for (const auto& candidate : adapter_types()) {
    if (candidate.type == type) return &candidate;
  }
  return nullptr;
}

std::unique_ptr<Adapter> create_adapter(std::string_view type, const AdapterOptionValues& values,
                                        const AdapterOptionLists& lists,
                                        const AdapterContext& context, OptionErrors& errors) {
  const AdapterType* found = find_adapter_type(type);
  if (!found) {
    errors.push_back(unknown_type(type));
    return nullptr;
  }
  OptionErrors undeclared = undeclared_lists(*found, lists);
  if (!undeclared.empty()) {
    errors.insert(errors.end(), undeclared.begin(), undeclared.end());
    return nullptr;
  }
  return found->create(values, lists, context, errors);
}

std::unique_ptr<Adapter> create_adapter(std::string_view type, const AdapterOptionValues& values,
                                        const AdapterContext& context, OptionErrors& errors) {
  return create_adapter(type, values, {}, context, errors);
}

AdapterCheck check_adapter(std::string_view type, const AdapterOptionValues& values,
                           const AdapterOptionLists& lists) {
  const AdapterType* found = find_adapter_type(type);
  if (!found) return {std::string(type), {unknown_type(type)}};
  AdapterCheck check = found->check(values, lists);
  OptionErrors undeclared = undeclared_lists(*found, lists);
  check.errors.insert(check.errors.end(), undeclared.begin(), undeclared.end());
  return check;
}

}  // namespace edgegw
