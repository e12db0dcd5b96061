#pragma once

#include <mutex>
#include <optional>
#include <string>

#include "gateway/jobs/job.h"
#include "gateway/jobs/job_agent.h"

namespace edgegw {

/// Azure's direct-method jobs, for /api/v1/status and the twin: IoT Hub keeps no record of a
/// job, so the gateway does. A method's answer says how a quick job went; a job that goes on
/// after its answer (update-software) is on record here as current until it ends, and its end
/// (also the one a restart reports, from pending.json) as the last. Thread-safe.
class MethodJobLedger {
 public:
  /// Takes `job` as the one running; false when another runs (one at a time).
  bool start(const Job& job);
  /// The job in hand, or the one a restart finished, ended with `outcome`.
  void finish(const std::string& job_id, const std::string& operation, const JobOutcome& outcome);

  JobsStatus status() const;

 private:
  mutable std::mutex mutex_;
  JobsStatus status_{.current = {},
                     .step = "idle",
                     .last_job = {},
                     .last_operation = {},
                     .last_status = {},
                     .last_details = {},
                     .finished = {},
                     .last_error = {}};
};

}  // namespace edgegw
