#include "gateway/status_collector.h"

#include <iomanip>
#include <sstream>

#include "gateway/cloud/device_key.h"
#include "gateway/durable_file.h"

namespace edgegw {

StatusCollector::StatusCollector(const GatewayConfig& config, const CloudProfile& profile,
                                 const Clock& clock, StatusSources sources)
    : config_(config),
      profile_(profile),
      clock_(clock),
      sources_(sources),
      started_ms_(clock.wall_ms()) {}

GatewayStatus StatusCollector::collect() const {
  GatewayStatus status;
  status.version = EDGEGW_VERSION;
  status.gateway_id = config_.gateway.gateway_id;
  status.provider = config_.uplink.provider;
  status.now_ms = clock_.wall_ms();
  status.uptime_s = (status.now_ms - started_ms_) / 1000;
  status.readings_accepted = sources_.ingest.accepted();
  for (std::size_t i = 0; i < kRejectReasonCount; ++i) {
    auto reason = static_cast<RejectReason>(i);
    status.readings_rejected[std::string(reject_reason_name(reason))] =
        sources_.ingest.rejected(reason);
  }
  status.buffer = sources_.buffer.stats();
  const Uplink::Stats uplink = sources_.uplink.stats();
  status.bundles_published = uplink.bundles_published;
  status.bundles_acked = uplink.bundles_acked;
  status.last_acked_bundle_seq = uplink.last_acked_bundle_seq;
  status.bundle_payload_bytes = uplink.payload_bytes_acked;
  status.readings_acked = uplink.readings_acked;
  status.uplink_connected = uplink.connected;
  status.uplink_last_error = uplink.last_error;
  status.storage_ok = sources_.ingest.storage_ok();
  status.armed = sources_.ingest.armed();
  status.uplink_reconnects = uplink.reconnects;
  status.publishes_refused = uplink.publishes_refused;
  if (sources_.commands) status.commands = sources_.commands->stats();
  if (sources_.state_sync) status.shadow = sources_.state_sync->status();
  if (sources_.jobs) status.jobs = sources_.jobs->status();
  if (sources_.method_jobs) status.jobs = sources_.method_jobs->status();
  status.last_refusal = uplink.last_refusal;
  status.subscriptions = uplink.subscriptions;
  status.certificate = certificate();
  if (status.certificate && sources_.renewal) {
    status.certificate->renewal = sources_.renewal->status();
  }
  status.mqtt_version = config_.uplink.directory.empty() ? profile_.mqtt_version : 0;
  status.inflight_bundles = uplink.inflight;
  status.bundle_bytes = uplink.bundle_bytes;
  status.bundle_latency_s = uplink.bundle_latency_s;
  status.alarm_latency_s = uplink.alarm_latency_s;
  status.alarms_raised = sources_.ingest.alarms_raised();
  status.alarms_raised_by_kind = sources_.ingest.alarms_raised_by_kind();
  status.alarms_published = uplink.alarms_acked;
  const billing::TallyTotals billing = sources_.tally.totals();
  status.billable_units = billing.billable_units;
  status.naive_units = billing.naive_units;
  status.metering_rule = profile_.metering.describe();
  status.metering_unit_bytes = profile_.metering.unit_bytes();
  status.full_bundle =
      profile_.metering.metered(static_cast<std::int64_t>(profile_.payload_budget_bytes()),
                                {.topic = profile_.telemetry_topic});
  for (std::size_t i = 0; i < sources_.adapters.size(); ++i) {
    status.adapters.push_back({.name = sources_.adapters[i]->name(),
                               .type = config_.adapters[i].type,
                               .health = sources_.adapters[i]->health()});
  }
  return status;
}

std::optional<CertificateStatus> StatusCollector::certificate() const {
  const std::string& file = profile_.tls.cert_file;
  if (!profile_.use_tls || file.empty()) return std::nullopt;
  std::lock_guard lock(certificate_mutex_);
  std::error_code error;
  const auto mtime = std::filesystem::last_write_time(file, error);
  if (!error && mtime == certificate_mtime_ && certificate_.file == file) return certificate_;
  certificate_ = {.file = file, .common_name = {}, .not_after_ms = 0, .error = {}};
  certificate_mtime_ = mtime;
  try {
    const auto info = cloud::read_certificate(read_text_file(file));
    certificate_.common_name = info.common_name;
    certificate_.not_after_ms = info.not_after_ms;
  } catch (const std::exception& failure) {
    certificate_.error = failure.what();
  }
  return certificate_;
}

std::string StatusCollector::line() const {
  const GatewayStatus status = collect();
  std::uint64_t rejected = 0;
  for (const auto& [reason, count] : status.readings_rejected) rejected += count;
  std::ostringstream line;
  line << (status.uplink_connected ? "connected" : "offline") << "; accepted "
       << status.readings_accepted << ", rejected " << rejected << ", buffered "
       << status.buffer.readings << "; bundles acked " << status.bundles_acked << " ("
       << status.readings_acked << " readings, " << status.bundle_payload_bytes
       << " bytes), in flight " << status.inflight_bundles << "; alarms " << status.alarms_raised
       << " raised, " << status.alarms_published << " sent; billable units "
       << status.billable_units << ", one reading per message would bill " << status.naive_units;
  if (status.billable_units > 0) {
    line << " (" << std::fixed << std::setprecision(0)
         << static_cast<double>(status.naive_units) / static_cast<double>(status.billable_units)
         << "x more)";
  }
  return line.str();
}

}  // namespace edgegw
