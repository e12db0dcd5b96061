#include "gateway/ingest/ingest_options.h"

namespace edgegw {

const OptionTable<IngestOptions>& ingest_option_table() {
  static const OptionTable<IngestOptions> table = {
      {.key = "max_future_s",
       .member = &IngestOptions::max_future_s,
       .description = "Reject readings stamped more than this far ahead of the gateway's clock.",
       .min = 0,
       .max = 86400 * 366},
      {.key = "max_past_days",
       .member = &IngestOptions::max_past_days,
       .description = "Reject readings stamped more than this many days in the past.",
       .min = 1,
       .max = 36500},
  };
  return table;
}

const OptionTable<SeriesOptions>& series_option_table() {
  static const OptionTable<SeriesOptions> table = {
      {.key = "name",
       .member = &SeriesOptions::name,
       .description = "Series name as posted to the API or produced by an adapter.",
       .required = true},
      {.key = "unit", .member = &SeriesOptions::unit, .description = "Unit, e.g. \"kg\"."},
      {.key = "resolution",
       .member = &SeriesOptions::resolution,
       .description = "Smallest step worth keeping; values are packed to within half of it. "
                      "0 packs values losslessly.",
       .min = 0},
      {.key = "min",
       .member = &SeriesOptions::min,
       .description = "Readings below this are rejected (counted as out_of_range)."},
      {.key = "max",
       .member = &SeriesOptions::max,
       .description = "Readings above this are rejected (counted as out_of_range)."},
  };
  return table;
}

}  // namespace edgegw
