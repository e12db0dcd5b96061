#include "gateway/gateway.h"

#include <spdlog/spdlog.h>

#include <iomanip>
#include <sstream>

#include "adapters/registry.h"
#include "gateway/uplink/directory_sink.h"

namespace edgegw {

Gateway::Gateway(GatewayConfig config, Clock& clock)
    : config_(std::move(config)), clock_(clock) {
  buffer_ = SqliteBuffer::open(config_.storage, clock_);
  ingest_ = std::make_unique<Ingest>(*buffer_, clock_, config_.ingest.max_future_s * 1000,
                                     config_.ingest.max_past_days * 86'400'000);
  for (const auto& adapter_config : config_.adapters) {
    OptionErrors errors;
    auto adapter = create_adapter(adapter_config.type, adapter_config.values, clock_, errors);
    if (!adapter) {
      throw ConfigError("adapter " + adapter_config.name + ": " +
                        (errors.empty() ? "cannot be built" : errors.front().first + " " +
                                                                  errors.front().second) +
                        "\n");
    }
    adapters_.push_back(std::move(adapter));
  }
  register_series();

  const auto encoding = parse_bundle_encoding(config_.bundle.encoding);
  packer_ = std::make_unique<BundlePacker>(
      PackerOptions{.gateway_id = config_.gateway.gateway_id,
                    .budget_bytes = config_.bundle_budget_bytes(),
                    .encoding = encoding.value_or(BundleEncoding::proto)},
      buffer_->catalog());

  const std::string topic = config_.expand_topic(config_.uplink.telemetry_topic);
  const std::size_t metered_topic = config_.bundle_budget_bytes() <
                                            static_cast<std::size_t>(config_.bundle.unit_bytes)
                                        ? topic.size()
                                        : 0;
  if (config_.uplink.directory.empty()) {
    throw ConfigError(
        "uplink.directory is not set: this version delivers bundles to a directory only "
        "(the MQTT uplink is not built yet)\n");
  }
  sink_ = std::make_unique<DirectorySink>(config_.uplink.directory, metered_topic);
  tally_ = std::make_unique<billing::BillingTally>(billing_provider(), naive_message_bytes(),
                                                   config_.bundle.unit_bytes);
  bundler_ = std::make_unique<Bundler>(
      *buffer_, *packer_, *sink_, clock_, std::chrono::seconds(config_.bundle.max_latency_s),
      [this, metered_topic](const InflightBundle& bundle, std::size_t readings) {
        tally_->add_publish(bundle.payload.size(), metered_topic, readings);
      });
}

Gateway::~Gateway() { stop(); }

billing::Provider Gateway::billing_provider() const {
  if (config_.uplink.provider == "aws") return billing::Provider::aws;
  if (config_.uplink.provider == "azure") return billing::Provider::azure;
  return billing::Provider::generic;
}

std::int64_t Gateway::naive_message_bytes() const {
  // What one reading of the longest-named series would take as its own JSON message; every
  // such message fits one unit, so the exact size only matters for very long names.
  std::string longest;
  for (const auto& info : buffer_->catalog().all()) {
    if (info.spec.name.size() > longest.size()) longest = info.spec.name;
  }
  return billing::naive_json_size(longest, clock_.wall_ms(), 1234.5);
}

void Gateway::register_series() {
  // Configured series first: their unit and resolution win over what an adapter declares.
  std::map<std::string, const SeriesOptions*> configured;
  for (const auto& series : config_.series) {
    configured[series.name] = &series;
    SeriesId id = buffer_->register_series(
        {.name = series.name, .unit = series.unit, .resolution = series.resolution});
    ingest_->set_limits(id, {.min = series.min, .max = series.max});
  }
  for (const auto& adapter : adapters_) {
    std::vector<SeriesId> ids;
    for (const auto& spec : adapter->series()) {
      auto known = configured.find(spec.name);
      ids.push_back(known != configured.end() ? buffer_->catalog().find(spec.name)->id
                                              : buffer_->register_series(spec));
    }
    adapter_series_ids_.push_back(std::move(ids));
  }
}

void Gateway::start() {
  if (started_) return;
  started_ = true;
  bundler_->start();
  for (std::size_t i = 0; i < adapters_.size(); ++i) {
    adapters_[i]->start(*ingest_, adapter_series_ids_[i]);
    spdlog::info("adapter {} started ({} series)", adapters_[i]->name(),
                 adapter_series_ids_[i].size());
  }
}

void Gateway::stop() {
  if (!started_) return;
  started_ = false;
  for (auto& adapter : adapters_) adapter->stop();
  bundler_->stop();
}

std::string Gateway::status_line() {
  const BufferStats buffer = buffer_->stats();
  const Bundler::Stats bundles = bundler_->stats();
  const billing::TallyTotals billing = tally_->totals();
  std::uint64_t rejected = 0;
  for (std::size_t i = 0; i < kRejectReasonCount; ++i) {
    rejected += ingest_->rejected(static_cast<RejectReason>(i));
  }
  std::ostringstream line;
  line << "accepted " << ingest_->accepted() << ", rejected " << rejected << ", buffered "
       << buffer.readings << ", bundles " << bundles.bundles_delivered + bundles.bundles_resent
       << " (" << bundles.readings_delivered << " readings, " << bundles.payload_bytes
       << " bytes), billable units " << billing.billable_units
       << ", one reading per message would bill " << billing.naive_units;
  if (billing.billable_units > 0) {
    line << " (" << std::fixed << std::setprecision(0) << tally_->savings_factor()
         << "x more)";
  }
  return line.str();
}

}  // namespace edgegw
