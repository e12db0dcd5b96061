#include "gateway/uplink/bundle_options.h"

namespace edgegw {

const OptionTable<BundleOptions>& bundle_option_table() {
  static const OptionTable<BundleOptions> table = {
      {.key = "unit_bytes",
       .member = &BundleOptions::unit_bytes,
       .description = "The metering unit of a generic broker's cloud (payload + topic). "
                      "provider aws and azure use their own (5120 bytes with the topic; 4096 "
                      "bytes with the properties). A bundle is packed as close to the unit as "
                      "possible, never over.",
       .min = 256,
       .max = 131072},
      {.key = "max_latency_s",
       .member = &BundleOptions::max_latency_s,
       .description = "Close a partly filled bundle once its oldest reading has waited this long.",
       .min = 1,
       .max = 86400},
      {.key = "encoding",
       .member = &BundleOptions::encoding,
       .description = "Bundle payload format; proto+zstd packs about twice as many readings per "
                      "unit at some CPU cost.",
       .choices = "proto proto+zstd"},
  };
  return table;
}

}  // namespace edgegw
