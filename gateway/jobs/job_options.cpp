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
           "jobs. Without it every update-config job is refused."},
  };
  return table;
}

}  // namespace edgegw
