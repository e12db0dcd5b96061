#include "gateway/jobs/job_runner.h"

#include <filesystem>

#include "gateway/jobs/job_config.h"
#include "gateway/jobs/software_update.h"

namespace edgegw {
bool running_in_container() {
  std::error_code ignored;
  return std::filesystem::exists("/.dockerenv", ignored) ||
         std::filesystem::exists("/run/.containerenv", ignored);
}

JobRunner::JobRunner(GatewayConfig in_force, std::optional<SignatureKey> key, LiveSettings& live)
    : in_force_(std::move(in_force)), key_(std::move(key)), live_(live) {}

JobOutcome JobRunner::run(const Job& job, const std::atomic<bool>& cancelled) {
  const std::string name = job.operation();
  if (name == "update-config") {
    return run_config_job(job, key_ ? &*key_ : nullptr, in_force_, live_);
  }
  if (name == "restart") {
    return {.status = JobStatus::succeeded,
            .details = {{"restarted", "by job " + job.id}},
            .restart = true,
            .release = std::nullopt};
  }
  if (name == "update-software") {
    const std::string& allowed = in_force_.jobs.software_updates;
    if (allowed == "off") {
      return job_refusal(JobStatus::rejected,
                         "software updates are off on this gateway (jobs.software_updates)");
    }
    if (allowed == "auto" && running_in_container()) {
      return job_refusal(
          JobStatus::rejected,
          "this gateway runs in a container: the container runtime owns its software; deploy a "
          "new image instead");
    }
    return stage_release(job, in_force_.jobs, key_ ? &*key_ : nullptr, cancelled);
  }
  return job_refusal(JobStatus::rejected,
                     (name.empty() ? std::string("the job document has no \"operation\"")
                                   : "unknown operation \"" + name + "\"") +
                         "; known: " + kOperations);
}

}  // namespace edgegw
