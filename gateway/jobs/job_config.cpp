#include "gateway/jobs/job_config.h"

#include <spdlog/spdlog.h>

#include "gateway/durable_file.h"
#include "gateway/uplink/azure_sas.h"

namespace edgegw {
namespace {

namespace json = boost::json;

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : "; ") + item;
  return out;
}

}  // namespace

std::filesystem::path delivered_config_file(const GatewayConfig& config) {
  return std::filesystem::path(config.jobs.dir) / "config.toml";
}

ConfigInForce load_config_in_force(const std::string& file_path, ConfigPurpose purpose) {
  GatewayConfig file = load_config_file(file_path, purpose);
  const auto delivered = delivered_config_file(file);
  std::error_code error;
  if (!file.jobs.enabled || !std::filesystem::exists(delivered, error)) {
    return {std::move(file), file_path};
  }
  try {
    GatewayConfig config = load_config_file(delivered.string(), purpose);
    spdlog::info(
        "config: running the config an update-config job delivered, {}, in place of {} "
        "(delete it to go back to {})",
        delivered.string(), file_path, file_path);
    return {std::move(config), delivered.string()};
  } catch (const std::exception& problem) {
    spdlog::error("config: the delivered config {} does not load; running {}:\n{}",
                  delivered.string(), file_path, problem.what());
    return {std::move(file), file_path};
  }
}

JobOutcome run_config_job(const Job& job, const SignatureKey* key, const GatewayConfig& in_force,
                          LiveSettings& live) {
  if (!key) {
    return job_refusal(
        JobStatus::rejected,
        "this gateway has no [jobs] public_key_file to verify config documents with");
  }
  const auto* text = job.document.if_contains("config");
  const auto* signature = job.document.if_contains("signature");
  if (!text || !text->is_string() || !signature || !signature->is_string()) {
    return job_refusal(
        JobStatus::failed,
        "the job document needs \"config\" (the TOML file) and \"signature\" (base64 Ed25519)");
  }
  std::string signature_bytes;
  try {
    signature_bytes = base64_decode(signature->as_string());
  } catch (const std::invalid_argument&) {
    return job_refusal(JobStatus::failed, "\"signature\" is not base64");
  }
  if (!key->verifies(text->as_string(), signature_bytes)) {
    return job_refusal(JobStatus::failed,
                       "the signature does not verify under [jobs] public_key_file");
  }

  // Validated as the file it will be: written beside the delivered config, loaded with the
  // stored identity as a config file is, and only then put in its place.
  const auto delivered = delivered_config_file(in_force);
  const auto candidate = delivered.parent_path() / "config.next.toml";
  GatewayConfig config;
  try {
    std::filesystem::create_directories(delivered.parent_path());
    std::filesystem::permissions(delivered.parent_path(), std::filesystem::perms::owner_all);
    write_file_durably(candidate, text->as_string(), 0600);
    config = load_config_file(candidate.string());
  } catch (const std::exception& problem) {
    std::error_code ignored;
    std::filesystem::remove(candidate, ignored);
    return job_refusal(JobStatus::failed, std::string("the config is refused: ") + problem.what());
  }
  if (config.jobs.dir != in_force.jobs.dir) {
    std::filesystem::remove(candidate);
    return job_refusal(JobStatus::failed,
                       "jobs.dir cannot be changed by a job (it holds the job's own state)");
  }
  try {
    rename_durably(candidate, delivered);
  } catch (const std::exception& problem) {
    return job_refusal(JobStatus::failed,
                       std::string("the config cannot be kept: ") + problem.what());
  }
  const std::vector<std::string> restart = live.reload(config);
  spdlog::info("jobs: job {} delivered a new config{}", job.id,
               restart.empty() ? ", applied live" : "; it takes a restart: " + join(restart));
  JobOutcome outcome{.status = JobStatus::succeeded,
                     .details = {{"applied", restart.empty() ? "live" : "after a restart"}},
                     .restart = !restart.empty(),
                     .release = std::nullopt};
  if (!restart.empty()) outcome.details["restart_for"] = short_detail(join(restart));
  return outcome;
}

}  // namespace edgegw
