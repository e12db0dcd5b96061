#include "gateway/jobs/method_job_ledger.h"

namespace edgegw {

bool MethodJobLedger::start(const Job& job) {
  std::lock_guard lock(mutex_);
  if (!status_.current.empty()) return false;
  status_.current = job.id;
  status_.step = "running";
  return true;
}

void MethodJobLedger::finish(const std::string& job_id, const std::string& operation,
                             const JobOutcome& outcome) {
  std::lock_guard lock(mutex_);
  if (status_.current == job_id) {
    status_.current.clear();
    status_.step = "idle";
  }
  status_.last_job = job_id;
  status_.last_operation = operation;
  status_.last_status = job_status_name(outcome.status);
  status_.last_details = outcome.details;
  ++status_.finished[status_.last_status];
}

JobsStatus MethodJobLedger::status() const {
  std::lock_guard lock(mutex_);
  return status_;
}

}  // namespace edgegw
