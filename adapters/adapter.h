#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "adapters/weigher.h"
#include "gateway/model/option_table.h"
#include "gateway/model/reading.h"
#include "gateway/model/series.h"

namespace edgegw {

/// Where an adapter delivers what it reads. The gateway's ingest implements it.
class ReadingSink {
 public:
  virtual ~ReadingSink() = default;
  /// Offers readings to the pipeline. Returns false when the pipeline is full (back-pressure):
  /// nothing of `readings` was taken, and the adapter keeps them and offers them again later.
  virtual bool offer(std::span<const Reading> readings) = 0;
  // No alarms here: an adapter only reads its source; the gateway's rules decide alarms.
};

/// The adapter keys that can change while the gateway runs (the cloud's desired settings,
/// SIGHUP); every other key needs a restart.
inline constexpr std::array<std::string_view, 2> kLiveAdapterKeys = {"poll_interval_ms",
                                                                     "rate_scale"};

/// How an adapter is doing with its source, for /api/v1/status and the adapter_* metrics.
struct AdapterHealth {
  bool up = false;           ///< started, and its last read of the source worked
  std::uint64_t errors = 0;  ///< failed reads of the source since start
  std::string last_error;    ///< what the last failed read said; empty if none
};

/// A source of readings (a simulator, a GPIO sensor, a Modbus device) as the gateway sees it.
/// Every adapter type builds an AdapterRunner (adapters/adapter_runner.h) over its Source: the
/// source only reads; pacing, back-pressure, retries and health belong to the runner.
class Adapter {
 public:
  virtual ~Adapter() = default;
  /// Name from the config, unique among the adapters, used in logs and metrics.
  virtual const std::string& name() const = 0;
  /// The series this adapter produces. The gateway registers them before start().
  virtual std::vector<SeriesSpec> series() const = 0;
  /// Starts producing into `sink`; ids[i] is the id the gateway assigned to series()[i].
  /// Blocking sources run on a thread of their own.
  virtual void start(ReadingSink& sink, std::vector<SeriesId> ids) = 0;
  /// Stops producing and joins any thread; no call into the sink after it returns.
  virtual void stop() = 0;
  /// Callable from any thread at any time.
  virtual AdapterHealth health() const = 0;
  /// The load cell behind this adapter, for tare and calibration; null for other sources.
  virtual Weigher* weigher() { return nullptr; }
  /// Takes new values of live keys (kLiveAdapterKeys), checked against the type's table; they
  /// apply from the next read on. Callable from any thread.
  virtual void retune(const std::map<std::string, OptionValue>& /*values*/) {}
};

}  // namespace edgegw
