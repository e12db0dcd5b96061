#include "gateway/cost_report.h"

#include <sstream>

#include "adapters/simulator/simulator_generator.h"
#include "gateway/billing/cost_model.h"
#include "gateway/config/config.h"
#include "proto/bundle_packer.h"

namespace edgegw {

namespace {

constexpr std::int64_t kStartMs = 1'700'000'000'000;
constexpr std::int64_t kSampleSpanMs = 3'600'000;

/// The chocolate box and the crane of the demo, with default options.
void add_demo_sources(MixedSimulatorStream& stream) {
  for (const char* profile : {"chocolate", "crane"}) {
    SimulatorOptions options;
    if (!parse_simulator_options({{"profile", std::string(profile)}}, options).empty()) {
      throw ConfigError(std::string("built-in simulator profile ") + profile + " is invalid\n");
    }
    stream.add(options);
  }
}

std::size_t add_config_sources(const GatewayConfig& config, MixedSimulatorStream& stream) {
  std::size_t added = 0;
  for (const auto& adapter : config.adapters) {
    if (adapter.type != "simulator") continue;
    SimulatorOptions options;
    parse_simulator_options(adapter.values, options);  // already validated by the loader
    stream.add(options);
    ++added;
  }
  return added;
}

}  // namespace

std::string render_cost_report(const CostRequest& request) {
  GatewayConfig config;
  config.gateway.gateway_id = "gw-01";
  MixedSimulatorStream stream(kStartMs);
  if (!request.config_path.empty()) {
    config = load_config_file(request.config_path);
    if (add_config_sources(config, stream) == 0) {
      if (request.readings_per_second <= 0) {
        throw ConfigError(request.config_path +
                          ": no simulator adapters to measure a rate from; add --rates N\n");
      }
      add_demo_sources(stream);
    }
  } else if (request.readings_per_second > 0) {
    add_demo_sources(stream);
  } else {
    throw ConfigError("edgegw cost needs --config FILE or --rates N\n");
  }

  std::vector<Reading> readings;
  stream.generate_until(kStartMs + kSampleSpanMs, readings);
  SeriesCatalog catalog;
  for (const auto& info : stream.series()) catalog.insert(info);
  const auto encoding = parse_bundle_encoding(config.bundle.encoding);
  BundlePacker packer({.gateway_id = config.gateway.gateway_id,
                       .budget_bytes = config.bundle_budget_bytes(),
                       .encoding = encoding.value_or(BundleEncoding::proto)},
                      catalog);

  // Full bundles only: the last, partial one says nothing about steady-state packing.
  std::size_t full_bundles = 0, bundled_readings = 0, bundle_bytes = 0;
  std::span<const Reading> rest(readings);
  for (std::uint64_t seq = 1; !rest.empty(); ++seq) {
    PackedBundle packed = packer.pack(seq, rest);
    if (packed.reading_count == 0 || !packed.full) break;
    ++full_bundles;
    bundled_readings += packed.reading_count;
    bundle_bytes += packed.payload.size();
    rest = rest.subspan(packed.reading_count);
  }
  std::int64_t naive_bytes = 0;
  for (const auto& reading : readings) {
    naive_bytes += billing::naive_json_size(catalog.find(reading.series)->spec.name,
                                            reading.ts_ms, reading.value);
  }

  billing::StreamScenario scenario;
  const double measured_rate = static_cast<double>(readings.size()) * 1000.0 / kSampleSpanMs;
  const double rate = request.readings_per_second > 0 ? request.readings_per_second : measured_rate;
  scenario.readings_per_s = rate * static_cast<double>(std::max<std::int64_t>(1, request.devices));
  if (full_bundles > 0) {
    scenario.readings_per_bundle = static_cast<double>(bundled_readings) / full_bundles;
    scenario.bundle_bytes = static_cast<std::int64_t>(bundle_bytes / full_bundles);
  } else {
    // Too few readings in an hour to fill one bundle: each bundle closes on max_latency.
    scenario.readings_per_bundle = std::max(1.0, rate * config.bundle.max_latency_s);
    scenario.bundle_bytes = static_cast<std::int64_t>(config.bundle_budget_bytes());
  }
  scenario.naive_message_bytes =
      readings.empty() ? 64 : naive_bytes / static_cast<std::int64_t>(readings.size());
  scenario.topic_bytes =
      static_cast<std::int64_t>(config.expand_topic(config.uplink.telemetry_topic).size());

  std::ostringstream out;
  out << "Stream: " << scenario.readings_per_s << " readings/s ("
      << (request.readings_per_second > 0 ? "given" : "measured from the config's simulators")
      << (request.devices > 1 ? ", " + std::to_string(request.devices) + " gateways" : "")
      << "); bundles of " << config.bundle.encoding << " within " << config.bundle_budget_bytes()
      << " bytes hold " << scenario.readings_per_bundle << " readings (measured on "
      << full_bundles << " full bundles).\n\n";
  out << billing::render_cost_table(scenario, billing::compare_stream_cost(scenario));
  return out.str();
}

}  // namespace edgegw
