#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <string>

#include "gateway/config/config.h"
#include "gateway/jobs/job.h"
#include "gateway/jobs/signature.h"
#include "gateway/live_settings.h"

namespace edgegw {

/// The operations a job can ask for, by the job document's "operation":
///   update-config    a signed config file (run_config_job)
///   restart          the gateway stops gracefully and starts again
///   update-software  a signed release, downloaded and unpacked (stage_release), then tried
///                    after the restart; refused under a container runtime, which owns updates
/// Anything else is REJECTED with the list of operations. Thread-safe as LiveSettings is.
class JobRunner {
 public:
  /// `in_force`: the config the gateway runs with; `key`: from [jobs] public_key_file.
  JobRunner(GatewayConfig in_force, std::optional<SignatureKey> key, LiveSettings& live);

  /// May take as long as a download: `cancelled` (the gateway stops) cuts it short.
  JobOutcome run(const Job& job, const std::atomic<bool>& cancelled);

  static constexpr const char* kOperations = "update-config, restart, update-software";

 private:
  GatewayConfig in_force_;
  std::optional<SignatureKey> key_;
  LiveSettings& live_;
};

/// Whether this process runs in a container (Docker's /.dockerenv, podman's
/// /run/.containerenv): the container runtime then owns the software.
bool running_in_container();

}  // namespace edgegw
