#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "adapters/adapter.h"
#include "gateway/billing/metering.h"
#include "gateway/cloud/certificate_renewal.h"
#include "gateway/cloud/commands.h"
#include "gateway/cloud/state_sync.h"
#include "gateway/jobs/job_agent.h"
#include "gateway/model/histogram.h"
#include "gateway/uplink/transport.h"
#include "storage/sqlite_buffer.h"

namespace edgegw {

struct AdapterStatus {
  std::string name;
  std::string type;
  AdapterHealth health;
};

/// The client certificate the uplink connects with ([uplink.tls] cert_file).
struct CertificateStatus {
  std::string file;
  std::string common_name;
  std::int64_t not_after_ms = 0;  ///< when it runs out (Unix ms)
  std::string error;              ///< why it cannot be read; the fields above are then empty
  /// Where its renewal stands; none while renewal is off.
  std::optional<cloud::RenewalStatus> renewal{};
};

/// Everything the API and /metrics show, copied out of the running gateway in one go so a
/// handler never touches live components. Counters count since the process started.
struct GatewayStatus {
  std::string version;
  std::string gateway_id;
  std::string provider;
  std::int64_t now_ms = 0;
  std::int64_t uptime_s = 0;

  std::uint64_t readings_accepted = 0;
  std::map<std::string, std::uint64_t> readings_rejected;  ///< by reason (RejectReason names)
  BufferStats buffer;  ///< includes dropped by reason and the oldest reading's timestamp

  std::uint64_t bundles_published = 0;  ///< publishes started, resends included
  std::uint64_t bundles_acked = 0;
  std::uint64_t last_acked_bundle_seq = 0;
  std::uint64_t bundle_payload_bytes = 0;  ///< of acknowledged bundles
  std::uint64_t readings_acked = 0;
  std::int64_t billable_units = 0;  ///< for the configured provider
  std::int64_t naive_units = 0;     ///< one reading per message, same readings
  std::string metering_rule;        ///< how the provider meters, in words
  std::int64_t metering_unit_bytes = 0;
  billing::MeteredSize full_bundle;  ///< a bundle filled to the budget, as metered

  bool storage_ok = true;  ///< the buffer accepted its last write
  bool armed = true;       ///< the chocolate box's alarm is armed (PUT /api/v1/armed)
  bool uplink_connected = false;
  std::string uplink_last_error;  ///< why the last connection attempt failed, if it did
  std::uint64_t uplink_reconnects = 0;
  std::uint64_t publishes_refused = 0;  ///< refused for good by the broker; kept and retried
  std::string last_refusal;             ///< topic and reason of the latest refusal, if any
  int mqtt_version = 0;                 ///< 4 (3.1.1) or 5; 0 for a directory uplink
  std::vector<SubscriptionState> subscriptions;  ///< and what the broker answered to each
  std::optional<CertificateStatus> certificate;  ///< none without a client certificate
  cloud::CommandStats commands;                  ///< the cloud's commands (all zero when off)
  std::optional<cloud::StateSyncStatus> shadow;  ///< the shadow or twin sync; none when off
  std::optional<JobsStatus> jobs;                ///< remote jobs; none when off
  std::uint64_t inflight_bundles = 0;            ///< published, PUBACK not yet seen
  Histogram bundle_bytes;                        ///< payload sizes of acknowledged bundles
  Histogram bundle_latency_s;                    ///< publish to acknowledgement
  Histogram alarm_latency_s;
  std::uint64_t alarms_raised = 0;
  std::map<std::string, std::uint64_t> alarms_raised_by_kind;
  std::uint64_t alarms_published = 0;  ///< acknowledged by the broker

  std::vector<AdapterStatus> adapters;

  /// How long the oldest stored reading has waited; 0 with none.
  std::int64_t oldest_age_ms() const {
    return buffer.oldest_ts_ms > 0 && now_ms >= buffer.oldest_ts_ms ? now_ms - buffer.oldest_ts_ms
                                                                    : 0;
  }
};

}  // namespace edgegw
