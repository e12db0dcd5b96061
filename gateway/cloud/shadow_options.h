#pragma once

#include <cstdint>

#include "gateway/model/option_table.h"

namespace edgegw {

/// [shadow]: the AWS device shadow or Azure device twin the gateway takes its settings from.
struct ShadowOptions {
  bool enabled = true;
  std::int64_t report_interval_s = 300;
  std::int64_t min_report_interval_s = 5;
};

const OptionTable<ShadowOptions>& shadow_option_table();

}  // namespace edgegw
