#include "gateway/cloud/shadow_options.h"

namespace edgegw {

const OptionTable<ShadowOptions>& shadow_option_table() {
  static const OptionTable<ShadowOptions> table = {
      {.key = "enabled",
       .member = &ShadowOptions::enabled,
       .description =
           "Sync the AWS classic shadow (provider aws) or the Azure device twin (provider azure): "
           "desired settings are applied live and what is in force is reported. The document "
           "mirrors this file: {\"armed\": false, \"bundle\": {\"max_latency_s\": 30}, "
           "\"adapters\": {\"crane\": {\"poll_interval_ms\": 250}}} (docs/shadow.md)."},
      {.key = "report_interval_s",
       .member = &ShadowOptions::report_interval_s,
       .description = "Report the device's state (buffer, adapters, uptime) this often; a change "
                      "of the settings is reported sooner.",
       .min = 10,
       .max = 86400},
      {.key = "min_report_interval_s",
       .member = &ShadowOptions::min_report_interval_s,
       .description = "At most one reported update per this interval: changes in between are "
                      "sent together (each update is a billed message).",
       .min = 1,
       .max = 3600},
  };
  return table;
}

}  // namespace edgegw
