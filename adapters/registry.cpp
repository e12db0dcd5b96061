#include "adapters/registry.h"

#include "adapters/simulator/simulator_adapter.h"

namespace edgegw {
namespace {

AdapterType simulator_type() {
  return {
      .type = "simulator",
      .summary =
          "Synthetic, seeded sensor data: a chocolate box on a load cell with a PIR "
          "sensor, or a crane's telemetry over lift cycles. For demos and benchmarks.",
      .options = describe_options(simulator_option_table()),
      .check =
          [](const AdapterOptionValues& values) {
            SimulatorOptions options;
            AdapterCheck check;
            check.errors = parse_simulator_options(values, options);
            check.name = options.name;
            return check;
          },
      .create = [](const AdapterOptionValues& values, Clock& clock,
                   OptionErrors& errors) -> std::unique_ptr<Adapter> {
        SimulatorOptions options;
        OptionErrors found = parse_simulator_options(values, options);
        if (!found.empty()) {
          errors.insert(errors.end(), found.begin(), found.end());
          return nullptr;
        }
        return std::make_unique<SimulatorAdapter>(std::move(options), clock);
      },
  };
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

const std::vector<AdapterType>& adapter_types() {
  static const std::vector<AdapterType> types = {simulator_type()};
  return types;
}

const AdapterType* find_adapter_type(std::string_view type) {
  for (const auto& candidate : adapter_types()) {
    if (candidate.type == type) return &candidate;
  }
  return nullptr;
}

std::unique_ptr<Adapter> create_adapter(std::string_view type, const AdapterOptionValues& values,
                                        Clock& clock, OptionErrors& errors) {
  const AdapterType* found = find_adapter_type(type);
  if (!found) {
    errors.push_back(unknown_type(type));
    return nullptr;
  }
  return found->create(values, clock, errors);
}

AdapterCheck check_adapter(std::string_view type, const AdapterOptionValues& values) {
  const AdapterType* found = find_adapter_type(type);
  if (!found) return {std::string(type), {unknown_type(type)}};
  return found->check(values);
}

}  // namespace edgegw
