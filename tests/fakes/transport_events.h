#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "gateway/uplink/transport.h"

namespace edgegw {

/// Records what a Transport reports, for a test thread to inspect while the io thread runs.
class TransportEvents {
 public:
  Transport::Handlers handlers() {
    return {.on_result =
                [this](std::uint64_t token, const PublishResult& result) {
                  std::lock_guard lock(mutex_);
                  results_.emplace_back(token, result);
                  if (result.outcome == PublishResult::Outcome::acked) acked_.push_back(token);
                },
            .on_connection =
                [this](bool up, const std::string& reason) {
                  std::lock_guard lock(mutex_);
                  connections_.emplace_back(up, reason);
                }};
  }
  std::size_t ups() const { return count(true); }
  std::size_t downs() const { return count(false); }
  /// Every publish result, in order.
  std::vector<std::pair<std::uint64_t, PublishResult>> results() const {
    std::lock_guard lock(mutex_);
    return results_;
  }
  std::vector<std::uint64_t> acked() const {
    std::lock_guard lock(mutex_);
    return acked_;
  }
  bool was_acked(std::uint64_t token) const {
    std::lock_guard lock(mutex_);
    for (auto t : acked_) {
      if (t == token) return true;
    }
    return false;
  }
  std::string last_reason() const {
    std::lock_guard lock(mutex_);
    return connections_.empty() ? "" : connections_.back().second;
  }
  /// Every connection event as "up: reason" / "down: reason", one a line.
  std::string history() const {
    std::lock_guard lock(mutex_);
    std::string text;
    for (const auto& [up, reason] : connections_) text += (up ? "up: " : "down: ") + reason + "\n";
    return text;
  }

 private:
  std::size_t count(bool up) const {
    std::lock_guard lock(mutex_);
    std::size_t n = 0;
    for (const auto& event : connections_) n += event.first == up ? 1 : 0;
    return n;
  }

  mutable std::mutex mutex_;
  std::vector<std::pair<bool, std::string>> connections_;
  std::vector<std::uint64_t> acked_;
  std::vector<std::pair<std::uint64_t, PublishResult>> results_;
};

}  // namespace edgegw
