#pragma once

#include <functional>
#include <span>
#include <vector>

#include "gateway/ingest/ingest.h"
#include "gateway/status.h"

namespace edgegw::api {

/// What the HTTP API needs from the running gateway. The gateway implements it; tests fake it.
/// Handlers call it on the io_context thread, so every call must return without blocking.
class ApiBackend {
 public:
  virtual ~ApiBackend() = default;

  /// A cheap, thread-safe snapshot of counters and state.
  virtual GatewayStatus status() const = 0;
  /// Every reading of `batch` the pipeline would reject, with its index and reason.
  virtual std::vector<ReadingProblem> check(std::span<const NamedReading> batch) const = 0;
  /// Stores a checked batch whole or not at all; `done` may run on any thread, exactly once.
  virtual void submit(std::vector<NamedReading> batch, std::function<void(SubmitResult)> done) = 0;
};

}  // namespace edgegw::api
