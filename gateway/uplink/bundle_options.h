#pragma once

#include <cstdint>
#include <string>

#include "gateway/model/option_table.h"

namespace edgegw {

/// [bundle]: how readings are packed into billable messages.
struct BundleOptions {
  std::int64_t unit_bytes = 5120;
  std::int64_t max_latency_s = 60;
  std::string encoding = "proto";
};

/// The keys of each section, their types, limits and descriptions: the parser checks the
/// file against them and `edgegw config-reference` prints them.
const OptionTable<BundleOptions>& bundle_option_table();

}  // namespace edgegw
