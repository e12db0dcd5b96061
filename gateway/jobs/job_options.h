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
  /// update-software: "auto" refuses it in a Docker or podman container (the container
  /// runtime owns the software there), "on" takes it anyway, "off" refuses it everywhere.
  std::string software_updates = "auto";
  /// update-software: the install's root, holding releases/<version>/bin/edgegw and the
  /// `current` link to the release that runs (docs/jobs.md).
  std::string install_dir = "/opt/edgegw";
  /// CA certificates (PEM) the artifact server's certificate must chain to; empty: the
  /// system's trust store.
  std::string download_ca_file;
  std::int64_t max_download_mb = 200;
  /// How long a new release has to report ready before it is rolled back.
  std::int64_t ready_timeout_s = 120;
};

const OptionTable<JobOptions>& job_option_table();

}  // namespace edgegw
