#pragma once

#include <cstdint>
#include <string>

#include "gateway/model/option_table.h"

namespace edgegw {

/// [jobs]: remote jobs from the cloud (AWS IoT Jobs; on Azure direct methods of the same names):
/// update-config, restart, update-software.
struct JobOptions {
  bool enabled = true;
  /// Where the job state lives: the config the last update-config job delivered (config.toml,
  /// in force in place of the file from then on) and a job waiting for a restart to finish.
  std::string dir = "/var/lib/edgegw/jobs";
  /// The Ed25519 public key (PEM) that signs config documents and releases; without it
  /// update-config and update-software are refused.
  std::string public_key_file;
};

const OptionTable<JobOptions>& job_option_table();

}  // namespace edgegw
