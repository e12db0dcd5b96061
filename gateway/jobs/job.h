#pragma once

#include <boost/json/object.hpp>
#include <map>
#include <string>
#include <string_view>

namespace edgegw {

/// A job's end as the device reports it (AWS IoT Jobs' terminal states the device sets).
/// FAILED may be retried by the operator; REJECTED says the device will not run this job.
enum class JobStatus { succeeded, failed, rejected };

/// "SUCCEEDED", "FAILED", "REJECTED": the names AWS IoT Jobs uses.
std::string_view job_status_name(JobStatus status);

/// `text` fit for a statusDetails value: at most about 1000 characters (the first lines of a
/// long error say enough), no trailing newline.
std::string short_detail(std::string text);

/// One job to run: its id and the job document the cloud sent. The document is a contract:
/// {"operation": "update-config" | "restart" | "update-software", ...} (docs/jobs.md).
struct Job {
  std::string id;
  boost::json::object document;

  /// The document's "operation", or empty when it has none.
  std::string operation() const;
};

/// What running a job came to.
struct JobOutcome {
  JobStatus status = JobStatus::succeeded;
  /// AWS's statusDetails: short strings by name, e.g. {"reason": "..."}.
  std::map<std::string, std::string> details;
  /// The job takes effect in a new process: `status` is kept and reported by the gateway once
  /// it has restarted.
  bool restart = false;
};

/// A job that ended `status` for `reason` (details {"reason": short_detail(reason)}).
JobOutcome job_refusal(JobStatus status, std::string reason);

/// `details` as the JSON object statusDetails (and a direct method's answer) carry.
boost::json::object status_details_json(const std::map<std::string, std::string>& details);

}  // namespace edgegw
