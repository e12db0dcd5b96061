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
  // An adapter's reading reaches the bundler only once it is committed, so a bundle cannot
  // close sooner than the commit interval lets its readings in.
  if (!config.adapters.empty() &&
      config.bundle.max_latency_s * 1000 < config.storage.adapter_flush_interval_ms) {
    warnings.push_back("bundle.max_latency_s = " + std::to_string(config.bundle.max_latency_s) +
                       " is shorter than storage.adapter_flush_interval_ms = " +
                       std::to_string(config.storage.adapter_flush_interval_ms) +
                       ": an adapter's reading reaches a bundle only once it is committed, so "
                       "bundles may go out later than max_latency_s");
  }
  return warnings;
}

}  // namespace edgegw
