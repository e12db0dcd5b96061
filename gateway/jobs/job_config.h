#pragma once

#include <filesystem>
#include <string>

#include "gateway/config/config.h"
#include "gateway/jobs/job.h"
#include "gateway/jobs/signature.h"
#include "gateway/live_settings.h"

namespace edgegw {

/// The config the last update-config job delivered: "<jobs dir>/config.toml".
std::filesystem::path delivered_config_file(const GatewayConfig& config);

/// The config a gateway runs with, and where it came from.
struct ConfigInForce {
  GatewayConfig config;
  std::string path;
};

/// The config file at `file_path`, unless an update-config job has delivered one since (in the
/// file's [jobs] dir): then that one, which the cloud has signed. A delivered config that no
/// longer loads (a newer gateway's, a damaged file) is passed over with an error in the log.
/// Throws ConfigError for the file itself, as load_config_file.
ConfigInForce load_config_in_force(const std::string& file_path,
                                   ConfigPurpose purpose = ConfigPurpose::run);

/// The update-config job: {"operation": "update-config", "config": "<the whole TOML file>",
/// "signature": "<base64 of the Ed25519 signature of the config's bytes>"}. The signature is
/// checked under `key`, the config validated as a config file (every problem, with its line),
/// then what can change live is applied through `live` and the rest is left for a restart
/// (JobOutcome::restart); the config is kept as the delivered config. Anything refused leaves
/// the config in force as it was, and the job FAILED with the reason.
JobOutcome run_config_job(const Job& job, const SignatureKey* key, const GatewayConfig& in_force,
                          LiveSettings& live);

}  // namespace edgegw
