#include "gateway/cost_report.h"

#include <iomanip>
#include <sstream>

#include "adapters/simulator/simulator_generator.h"
#include "gateway/billing/cost_model.h"
#include "gateway/config/config.h"
#include "gateway/uplink/cloud_profile.h"
#include "proto/bundle_packer.h"

namespace edgegw {

namespace {

constexpr std::int64_t kStartMs = 1'700'000'000'000;
constexpr std::int64_t kSampleSpanMs = 3'600'000;

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

/// Full bundles only: the last, partial one says nothing about steady-state packing.
struct MeasuredFill {
  std::size_t full_bundles = 0;
  std::size_t readings = 0;
  std::size_t bytes = 0;

  billing::BundleFill fill(double readings_per_s, std::int64_t max_latency_s) const {
    if (full_bundles == 0) {
      // Too few readings in the sample to fill one bundle: bundles close on max_latency, and
      // hold about as many bytes per reading as the partial one did.
      const double per_bundle = std::max(1.0, readings_per_s * static_cast<double>(max_latency_s));
      const double bytes_per_reading = readings == 0 ? 0 : static_cast<double>(bytes) / readings;
      return {.readings_per_bundle = per_bundle,
              .bundle_bytes = static_cast<std::int64_t>(per_bundle * bytes_per_reading)};
    }
    return {.readings_per_bundle = static_cast<double>(readings) / full_bundles,
            .bundle_bytes = static_cast<std::int64_t>(bytes / full_bundles)};
  }
};

MeasuredFill measure_fill(std::span<const Reading> readings, const SeriesCatalog& catalog,
                          const std::string& gateway_id, std::size_t budget,
                          BundleEncoding encoding) {
  BundlePacker packer({.gateway_id = gateway_id, .budget_bytes = budget, .encoding = encoding},
                      catalog);
  MeasuredFill measured;
  for (std::uint64_t seq = 1; !readings.empty(); ++seq) {
    PackedBundle packed = packer.pack(seq, readings);
    if (packed.reading_count == 0 || !packed.full) {
      if (measured.full_bundles == 0) {
        measured.readings = packed.reading_count;
        measured.bytes = packed.payload.size();
      }
      break;
    }
    ++measured.full_bundles;
    measured.readings += packed.reading_count;
    measured.bytes += packed.payload.size();
    readings = readings.subspan(packed.reading_count);
  }
  return measured;
}

/// "5120 = payload 5098 + topic 22": how a full bundle's metered bytes add up.
std::string metered_breakdown(const billing::MeteredSize& size) {
  std::string out =
      std::to_string(size.total()) + " bytes = payload " + std::to_string(size.payload);
  if (size.topic > 0) out += " + topic " + std::to_string(size.topic);
  if (size.properties > 0) out += " + properties " + std::to_string(size.properties);
  if (size.allowance > 0) out += " + stamped by the hub " + std::to_string(size.allowance);
  return out;
}

/// Packs the sample for one provider's budget on this config's topic for that provider.
billing::ProviderRoute measure_route(const GatewayConfig& config, billing::Provider provider,
                                     std::span<const Reading> readings,
                                     const SeriesCatalog& catalog, BundleEncoding encoding,
                                     double rate) {
  ProviderTopics topics = provider_topics(config, provider);
  const auto budget =
      static_cast<std::size_t>(topics.metering.payload_budget({.topic = topics.telemetry_topic}));
  const MeasuredFill measured =
      measure_fill(readings, catalog, config.gateway.gateway_id, budget, encoding);
  return {.metering = std::move(topics.metering),
          .topic = std::move(topics.telemetry_topic),
          .bundle = measured.fill(rate, config.bundle.max_latency_s)};
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
      stream.add_demo_sources();
    }
  } else if (request.readings_per_second > 0) {
    stream.add_demo_sources();
  } else {
    throw ConfigError("edgegw cost needs --config FILE or --rates N\n");
  }

  std::vector<Reading> readings;
  stream.generate_until(kStartMs + kSampleSpanMs, readings);
  SeriesCatalog catalog;
  for (const auto& info : stream.series()) catalog.insert(info);
  const auto encoding =
      parse_bundle_encoding(config.bundle.encoding).value_or(BundleEncoding::proto);
  std::int64_t naive_bytes = 0;
  for (const auto& reading : readings) {
    naive_bytes += billing::naive_json_size(catalog.find(reading.series)->spec.name, reading.ts_ms,
                                            reading.value);
  }

  billing::StreamScenario scenario;
  const double measured_rate = static_cast<double>(readings.size()) * 1000.0 / kSampleSpanMs;
  const double rate = request.readings_per_second > 0 ? request.readings_per_second : measured_rate;
  scenario.readings_per_s = rate * static_cast<double>(std::max<std::int64_t>(1, request.devices));
  scenario.aws = measure_route(config, billing::Provider::aws, readings, catalog, encoding, rate);
  scenario.azure =
      measure_route(config, billing::Provider::azure, readings, catalog, encoding, rate);
  scenario.naive_message_bytes =
      readings.empty() ? 64 : naive_bytes / static_cast<std::int64_t>(readings.size());

  std::ostringstream out;
  out << std::fixed << std::setprecision(0) << "Measured by packing an hour of "
      << (request.readings_per_second > 0 ? "the demo's" : "this config's")
      << " simulated readings into " << config.bundle.encoding << " bundles:\n";
  for (const auto* route : {&scenario.aws, &scenario.azure}) {
    const billing::Envelope envelope{.topic = route->topic};
    const std::int64_t budget = route->metering.payload_budget(envelope);
    out << "  " << (route == &scenario.aws ? "AWS IoT Core" : "Azure IoT Hub") << " (topic "
        << route->topic << "): a full bundle holds " << route->bundle.readings_per_bundle
        << " readings;\n    one filled to the budget is metered at "
        << metered_breakdown(route->metering.metered(budget, envelope)) << ", one "
        << route->metering.unit_bytes() << "-byte unit\n";
  }
  if (request.devices > 1) out << "Fleet of " << request.devices << " gateways.\n";
  out << "\n";
  out << billing::render_cost_table(scenario, billing::compare_stream_cost(scenario));
  return out.str();
}

}  // namespace edgegw
