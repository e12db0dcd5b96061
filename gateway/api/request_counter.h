#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
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
    if (route.empty()) route = kNoRoute;
    std::lock_guard lock(mutex_);
    // Looked up by view, so a route seen before costs no allocation.
    auto entry = counts_.find(route);
    if (entry == counts_.end()) entry = counts_.emplace(std::string(route), ByStatus{}).first;
    ++entry->second[status];
  }

  /// Every (route, status) seen so far, ordered by route, then status.
  std::vector<Count> snapshot() const {
    std::lock_guard lock(mutex_);
    std::vector<Count> out;
    for (const auto& [route, by_status] : counts_) {
      for (const auto& [status, count] : by_status) out.push_back({route, status, count});
    }
    return out;
  }

 private:
  using ByStatus = std::map<int, std::uint64_t>;
  mutable std::mutex mutex_;
  std::map<std::string, ByStatus, std::less<>> counts_;
};

}  // namespace edgegw::api
