#include "gateway/jobs/job_options.h"

namespace edgegw {

const OptionTable<JobOptions>& job_option_table() {
  static const OptionTable<JobOptions> table = {
      {.key = "enabled",
       .member = &JobOptions::enabled,
       .description = "Take remote jobs: AWS IoT Jobs (provider aws), direct methods of the same "
                      "names (provider azure): update-config, restart, update-software. See "
                      "docs/jobs.md."},
      {.key = "dir",
       .member = &JobOptions::dir,
       .description =
           "Directory (made 0700) of the job state: config.toml, the config the last "
           "update-config job delivered, which is in force in place of this file from then on "
           "(delete it to go back to this file), and pending.json, a job whose final status "
           "is reported after a restart."},
      {.key = "public_key_file",
       .member = &JobOptions::public_key_file,
       .description =
           "Ed25519 public key (PEM) whose private half signs config documents of update-config "
           "jobs and the releases of update-software jobs. Without it both are refused."},
      {.key = "software_updates",
       .member = &JobOptions::software_updates,
       .description =
           "update-software jobs: \"auto\" takes them except in a Docker or podman container "
           "(/.dockerenv, /run/.containerenv), where the container runtime owns the software "
           "and a new image is the update; \"on\" takes them in a container too (a systemd "
           "install inside a system container); \"off\" refuses them.",
       .choices = "auto on off"},
      {.key = "install_dir",
       .member = &JobOptions::install_dir,
       .description =
           "update-software: the install's root, holding releases/<version>/bin/edgegw and "
           "`current`, a link to the release that runs (systemd's ExecStart goes through it). "
           "A gateway that does not run from there refuses software updates."},
      {.key = "download_ca_file",
       .member = &JobOptions::download_ca_file,
       .description = "update-software: CA certificates (PEM) the artifact server's HTTPS "
                      "certificate must chain to. Empty: the system's trust store."},
      {.key = "max_download_mb",
       .member = &JobOptions::max_download_mb,
       .description = "update-software: a release artifact larger than this (MiB) is refused "
                      "before it is downloaded, and so is a server that sends more.",
       .min = 1,
       .max = 4096},
      {.key = "ready_timeout_s",
       .member = &JobOptions::ready_timeout_s,
       .description =
           "update-software: how long a new release has to answer /readyz with 200 (storage "
           "writable, connected to the cloud) in its trial run. If it does not, or exits, it "
           "is rolled back and the job FAILED; the old release never stopped being `current`.",
       .min = 5,
       .max = 3600},
  };
  return table;
}

}  // namespace edgegw
