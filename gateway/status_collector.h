#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "adapters/adapter.h"
#include "gateway/billing/cost_model.h"
#include "gateway/cloud/commands.h"
#include "gateway/config/config.h"
#include "gateway/ingest/ingest.h"
#include "gateway/jobs/method_job_ledger.h"
#include "gateway/model/clock.h"
#include "gateway/status.h"
#include "gateway/uplink/cloud_profile.h"
#include "gateway/uplink/uplink.h"
#include "storage/sqlite_buffer.h"

namespace edgegw {

/// The running parts a status snapshot is read from. Every one outlives the collector;
/// `commands` and `renewal` may be null (off).
struct StatusSources {
  const SqliteBuffer& buffer;
  const Ingest& ingest;
  const Uplink& uplink;
  const billing::BillingTally& tally;
  const std::vector<std::unique_ptr<Adapter>>& adapters;
  const cloud::CommandProcessor* commands = nullptr;
  const cloud::CertificateRenewal* renewal = nullptr;  ///< null while renewal is off
  const cloud::StateSync* state_sync = nullptr;        ///< null while the sync is off
  const JobAgent* jobs = nullptr;                      ///< null while jobs are off
  const MethodJobLedger* method_jobs = nullptr;        ///< Azure's jobs, in place of `jobs`
};

/// Builds the GatewayStatus snapshot (what /api/v1/status, /metrics, the status command and
/// the log line show) from the parts, here only. Thread-safe: each part's counters are.
class StatusCollector {
 public:
  StatusCollector(const GatewayConfig& config, const CloudProfile& profile, const Clock& clock,
                  StatusSources sources);

  GatewayStatus collect() const;
  /// The uplink's client certificate, read again only when the file changed (renewal).
  std::optional<CertificateStatus> certificate() const;
  /// One line for the log: what came in, what is waiting, what went out and what it cost.
  std::string line() const;

 private:
  const GatewayConfig& config_;
  const CloudProfile& profile_;
  const Clock& clock_;
  StatusSources sources_;
  const std::int64_t started_ms_;
  mutable std::mutex certificate_mutex_;
  mutable std::filesystem::file_time_type certificate_mtime_{};
  mutable CertificateStatus certificate_;
};

}  // namespace edgegw
