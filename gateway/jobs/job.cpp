#include "gateway/jobs/job.h"

namespace edgegw {

std::string_view job_status_name(JobStatus status) {
  switch (status) {
    case JobStatus::succeeded:
      return "SUCCEEDED";
    case JobStatus::failed:
      return "FAILED";
    case JobStatus::rejected:
      return "REJECTED";
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
  return {
      .status = status, .details = {{"reason", short_detail(std::move(reason))}}, .restart = false};
}

boost::json::object status_details_json(const std::map<std::string, std::string>& details) {
  boost::json::object out;
  for (const auto& [key, value] : details) out[key] = value;
  return out;
}

}  // namespace edgegw
