#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "gateway/model/reading.h"

namespace edgegw {

/// What a series is: its name on the wire, its unit and how finely its values matter.
struct SeriesSpec {
  std::string name;
  std::string unit;
  /// Smallest step worth keeping, e.g. 0.1 for a load cell read in tenths of a gram.
  /// 0 means "no resolution configured": values are packed losslessly.
  double resolution = 0.0;

  friend bool operator==(const SeriesSpec&, const SeriesSpec&) = default;
};

struct SeriesInfo {
  SeriesId id = 0;
  SeriesSpec spec;
};

/// Thread-safe map between series ids and their specs. The buffer fills it from SQLite and
/// adds to it when a new series is registered; the packer and the API only look things up.
class SeriesCatalog {
 public:
  void insert(SeriesInfo info) {
    std::lock_guard lock(mutex_);
    by_name_[info.spec.name] = info.id;
    by_id_[info.id] = std::move(info);
  }

  std::optional<SeriesInfo> find(SeriesId id) const {
    std::lock_guard lock(mutex_);
    auto it = by_id_.find(id);
    if (it == by_id_.end()) return std::nullopt;
    return it->second;
  }

  std::optional<SeriesInfo> find(const std::string& name) const {
    std::lock_guard lock(mutex_);
    auto it = by_name_.find(name);
    if (it == by_name_.end()) return std::nullopt;
    return by_id_.at(it->second);
  }

  /// Every series, ordered by id.
  std::vector<SeriesInfo> all() const {
    std::lock_guard lock(mutex_);
    std::vector<SeriesInfo> out;
    out.reserve(by_id_.size());
    for (const auto& [id, info] : by_id_) out.push_back(info);
    return out;
  }

 private:
  mutable std::mutex mutex_;
  std::map<SeriesId, SeriesInfo> by_id_;
  std::unordered_map<std::string, SeriesId> by_name_;
};

}  // namespace edgegw
