#include "gateway/uplink/reconnect_backoff.h"

#include <algorithm>
#include <memory>
#include <random>

namespace edgegw {

ReconnectBackoff::ReconnectBackoff(Settings settings, const Clock& clock, RandomSource random)
    : settings_(settings), clock_(clock), random_(std::move(random)) {
  settings_.min = std::max(settings_.min, std::chrono::milliseconds(1));
  settings_.max = std::max(settings_.max, settings_.min);
  if (!random_) {
    auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
    random_ = [engine](std::int64_t upper) {
      return std::uniform_int_distribution<std::int64_t>(0, upper)(*engine);
    };
  }
}

std::chrono::milliseconds ReconnectBackoff::current_cap() const {
  std::int64_t cap = settings_.min.count();
  const std::int64_t max = settings_.max.count();
  // Doubling stops at the cap, so a long outage cannot overflow the shift.
  for (int i = 0; i < attempts_ && cap < max; ++i) cap *= 2;
  return std::chrono::milliseconds(std::min(cap, max));
}

std::chrono::milliseconds ReconnectBackoff::next_delay() {
  auto cap = current_cap().count();
  auto delay = std::clamp<std::int64_t>(random_(cap), 0, cap);
  ++attempts_;
  return std::chrono::milliseconds(delay);
}

void ReconnectBackoff::connected() {
  up_ = true;
  connected_at_ = clock_.monotonic();
}

void ReconnectBackoff::disconnected() {
  if (up_ && clock_.monotonic() - connected_at_ >= settings_.stable_after) attempts_ = 0;
  up_ = false;
}

}  // namespace edgegw
