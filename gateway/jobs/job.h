#pragma once

#include <boost/json/object.hpp>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace edgegw {

/// A job's end as the device reports it (AWS IoT Jobs' terminal states the device sets).
/// FAILED may be retried by the operator; REJECTED says the device will not run this job.
/// IN_PROGRESS is no end: a job started in the background (an Azure direct method's
/// update-software) whose end comes later.
enum class JobStatus { succeeded, failed, rejected, in_progress };

/// "SUCCEEDED", "FAILED", "REJECTED", "IN_PROGRESS": the names AWS IoT Jobs uses.
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

/// A release an update-software job has downloaded, verified and unpacked, waiting for its
/// trial run (software_update.h): `version` under <install_dir>/releases, and the release
/// `previous` that runs now.
struct StagedRelease {
  std::string version;
  std::string previous;
};

/// What running a job came to.
struct JobOutcome {
  JobStatus status = JobStatus::succeeded;
  /// AWS's statusDetails: short strings by name, e.g. {"reason": "..."}.
  std::map<std::string, std::string> details;
  /// The job takes effect in a new process: `status` is kept and reported by the gateway once
  /// it has restarted.
  bool restart = false;
  /// With `restart`: the new process is to be this release, once it has proved itself ready.
  std::optional<StagedRelease> release;
};

/// A job whose final status waits for a restart, as kept in <jobs dir>/pending.json:
/// {"job_id", "operation", "status", "details", and "release": {"version", "previous"} while
/// a staged release waits for its trial}.
struct PendingJob {
  std::string job_id;
  std::string operation;
  JobOutcome outcome;
};

/// "<jobs dir>/pending.json".
std::filesystem::path pending_job_file(const std::string& jobs_dir);

/// Writes the record durably (0600), making its directory. Throws std::runtime_error.
void write_pending_job(const std::filesystem::path& file, const PendingJob& job);
/// The record, or nothing when there is none. Throws std::runtime_error when it is there but
/// cannot be read as one.
std::optional<PendingJob> read_pending_job(const std::filesystem::path& file);

/// A job that ended `status` for `reason` (details {"reason": short_detail(reason)}).
JobOutcome job_refusal(JobStatus status, std::string reason);

/// `details` as the JSON object statusDetails (and a direct method's answer) carry.
boost::json::object status_details_json(const std::map<std::string, std::string>& details);

}  // namespace edgegw
