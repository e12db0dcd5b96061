#pragma once

#include <cstdint>
#include <string>

#include "gateway/model/option_table.h"

namespace edgegw {

/// [ingest]: what counts as a valid reading.
struct IngestOptions {
  std::int64_t max_future_s = 300;
  std::int64_t max_past_days = 3650;
};

/// [[series]]: what the gateway knows about a series ahead of time.
struct SeriesOptions {
  std::string name;
  std::string unit;
  double resolution = 0.0;
  double min = -1e308;
  double max = 1e308;
};

/// The keys of each section, their types, limits and descriptions: the parser checks the
/// file against them and `edgegw config-reference` prints them.
const OptionTable<IngestOptions>& ingest_option_table();
const OptionTable<SeriesOptions>& series_option_table();

}  // namespace edgegw
