#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace edgegw::api {

/// Responses sent, by route template and status code, for edgegw_http_requests_total.
/// Thread-safe. Routes are templates ("/api/v1/sensors/{series}"), never raw paths, so the
/// number of series stays bounded whatever clients ask for.
class RequestCounter {
 public:
  /// The route label of responses no route produced: unknown paths and answers the server
  /// gives before routing (400, 408, 413, 431, 503 overloaded).
  static constexpr std::string_view kNoRoute = "none";

  struct Count {
    std::string route;
    int status = 0;
    std::uint64_t count = 0;
  };

  void count(std::string_view route, int status) {
    std::lock_guard lock(mutex_);
    auto key = std::make_pair(std::string(route.empty() ? kNoRoute : route), status);
    ++counts_[std::move(key)];
  }

  /// Every (route, status) seen so far, ordered by route, then status.
  std::vector<Count> snapshot() const {
    std::lock_guard lock(mutex_);
    std::vector<Count> out;
    out.reserve(counts_.size());
    for (const auto& [key, count] : counts_) out.push_back({key.first, key.second, count});
    return out;
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, std::uint64_t> counts_;
};

}  // namespace edgegw::api
