#include "gateway/jobs/job.h"

#include <boost/json.hpp>

#include "gateway/durable_file.h"

namespace edgegw {
namespace {

namespace json = boost::json;

std::string string_member(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value && value->is_string() ? std::string(value->as_string()) : std::string();
}

std::optional<JobStatus> parse_job_status(std::string_view name) {
  for (auto status : {JobStatus::succeeded, JobStatus::failed, JobStatus::rejected}) {
    if (job_status_name(status) == name) return status;
  }
  return std::nullopt;
}

}  // namespace

std::string_view job_status_name(JobStatus status) {
  switch (status) {
    case JobStatus::succeeded:
      return "SUCCEEDED";
    case JobStatus::failed:
      return "FAILED";
    case JobStatus::rejected:
      return "REJECTED";
    case JobStatus::in_progress:
      return "IN_PROGRESS";
  }
  return "FAILED";
}

std::string short_detail(std::string text) {
  constexpr std::size_t kMax = 1000;
  if (text.size() > kMax) text = text.substr(0, kMax) + "...";
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

std::string Job::operation() const {
  const auto* value = document.if_contains("operation");
  return value && value->is_string() ? std::string(value->as_string()) : std::string();
}

JobOutcome job_refusal(JobStatus status, std::string reason) {
  return {.status = status,
          .details = {{"reason", short_detail(std::move(reason))}},
          .restart = false,
          .release = std::nullopt};
}

boost::json::object status_details_json(const std::map<std::string, std::string>& details) {
  boost::json::object out;
  for (const auto& [key, value] : details) out[key] = value;
  return out;
}

std::filesystem::path pending_job_file(const std::string& jobs_dir) {
  return std::filesystem::path(jobs_dir) / "pending.json";
}

void write_pending_job(const std::filesystem::path& file, const PendingJob& job) {
  json::object record{{"job_id", job.job_id},
                      {"operation", job.operation},
                      {"status", job_status_name(job.outcome.status)},
                      {"details", status_details_json(job.outcome.details)}};
  if (job.outcome.release) {
    record["release"] = json::object{{"version", job.outcome.release->version},
                                     {"previous", job.outcome.release->previous}};
  }
  std::filesystem::create_directories(file.parent_path());
  write_file_durably(file, json::serialize(record), 0600);
}

std::optional<PendingJob> read_pending_job(const std::filesystem::path& file) {
  if (!std::filesystem::exists(file)) return std::nullopt;
  boost::system::error_code error;
  const json::value parsed = json::parse(read_text_file(file), error);
  if (error || !parsed.is_object()) throw std::runtime_error("not a JSON object");
  const json::object& record = parsed.as_object();
  const auto status = parse_job_status(string_member(record, "status"));
  PendingJob job{.job_id = string_member(record, "job_id"),
                 .operation = string_member(record, "operation"),
                 .outcome = {}};
  if (!status || job.job_id.empty()) throw std::runtime_error("no job_id or status");
  job.outcome.status = *status;
  if (const auto* details = record.if_contains("details"); details && details->is_object()) {
    for (const auto& [key, value] : details->as_object()) {
      if (value.is_string()) job.outcome.details[key] = value.as_string();
    }
  }
  if (const auto* release = record.if_contains("release"); release && release->is_object()) {
    job.outcome.release =
        StagedRelease{.version = string_member(release->as_object(), "version"),
                      .previous = string_member(release->as_object(), "previous")};
    if (job.outcome.release->version.empty()) throw std::runtime_error("a release with no version");
  }
  return job;
}

}  // namespace edgegw
