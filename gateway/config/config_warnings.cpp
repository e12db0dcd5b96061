#include "gateway/config/config_warnings.h"

#include <set>

#include "adapters/registry.h"

namespace edgegw {

std::vector<std::string> config_warnings(const GatewayConfig& config) {
  std::set<std::string> series;
  std::set<std::string> adapters;
  for (const auto& declared : config.series) series.insert(declared.name);
  // Building an adapter opens nothing: it only says which series it would produce.
  SystemClock clock;
  const AdapterHardware hardware = system_hardware();
  for (const auto& adapter_config : config.adapters) {
    adapters.insert(adapter_config.name);
    OptionErrors errors;
    auto adapter = create_adapter(adapter_config.type, adapter_config.values, adapter_config.lists,
                                  AdapterContext{clock, hardware}, errors);
    if (!adapter) continue;
    for (const auto& spec : adapter->series()) series.insert(spec.name);
  }
  std::vector<std::string> warnings;
  for (const auto& rule : config.rules) {
    if (!rule.series.empty() && !series.contains(rule.series)) {
      warnings.push_back("rule " + rule.name + ": no adapter produces series \"" + rule.series +
                         "\" and no [[series]] declares it, so the rule never fires");
    }
    if (!rule.adapter.empty() && !adapters.contains(rule.adapter)) {
      warnings.push_back("rule " + rule.name + ": there is no adapter \"" + rule.adapter +
                         "\", so the rule never fires");
    }
  }
  return warnings;
}

}  // namespace edgegw
