#include "gateway/ingest/series_registration.h"

#include <map>
#include <string>

namespace edgegw {

std::vector<std::vector<SeriesId>> register_series(
    SqliteBuffer& buffer, Ingest& ingest, const std::vector<SeriesOptions>& configured,
    const std::vector<std::unique_ptr<Adapter>>& adapters) {
  std::map<std::string, SeriesId> known;
  for (const auto& series : configured) {
    const SeriesId id = buffer.register_series(
        {.name = series.name, .unit = series.unit, .resolution = series.resolution});
    ingest.set_limits(id, {.min = series.min, .max = series.max});
    known[series.name] = id;
  }
  std::vector<std::vector<SeriesId>> ids_by_adapter;
  for (const auto& adapter : adapters) {
    std::vector<SeriesId> ids;
    for (const auto& spec : adapter->series()) {
      const auto at = known.find(spec.name);
      ids.push_back(at != known.end() ? at->second : buffer.register_series(spec));
      ingest.watch_alarm_levels(ids.back(), spec.name);
    }
    ids_by_adapter.push_back(std::move(ids));
  }
  return ids_by_adapter;
}

}  // namespace edgegw
