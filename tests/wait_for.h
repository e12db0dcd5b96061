#pragma once

#include <chrono>
#include <thread>

namespace edgegw {

/// Polls `condition` until it holds or `deadline` passes; returns whether it held. For waiting
/// on another thread's work in tests without betting on how long that work takes.
template <class Condition>
bool wait_for(Condition condition, std::chrono::milliseconds deadline = std::chrono::seconds(20)) {
  auto until = std::chrono::steady_clock::now() + deadline;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

}  // namespace edgegw
