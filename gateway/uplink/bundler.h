#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "gateway/model/clock.h"
#include "gateway/uplink/bundle_sink.h"
#include "proto/bundle_packer.h"
#include "storage/sqlite_buffer.h"

namespace edgegw {

/// Turns the buffer's unsent readings into bundles and hands them to a sink, oldest first.
/// A bundle is recorded in flight before it is delivered and its rows are deleted only once
/// the sink confirms it, so a crash at any point re-sends the same bytes under the same seq.
class Bundler {
 public:
  struct Stats {
    std::uint64_t bundles_delivered = 0;
    std::uint64_t bundles_resent = 0;
    std::uint64_t readings_delivered = 0;
    std::uint64_t payload_bytes = 0;
    std::uint64_t delivery_failures = 0;
  };
  /// Called after each delivered bundle: the bundle and how many readings it held (0 for a
  /// bundle re-sent after a restart, whose readings were already counted).
  using DeliveredHook = std::function<void(const InflightBundle&, std::size_t readings)>;

  Bundler(SqliteBuffer& buffer, BundlePacker& packer, BundleSink& sink, const Clock& clock,
          std::chrono::milliseconds max_latency, DeliveredHook on_delivered = {});
  ~Bundler();

  /// Does one unit of work: delivers a bundle left in flight, or packs and delivers one new
  /// bundle if it is full, its oldest reading has waited max_latency, or a flush was asked
  /// for. Returns false when there was nothing to do now.
  bool step();

  /// Runs step() on a thread of its own until stop().
  void start();
  void stop();
  /// Closes the open bundle now, however full it is.
  void request_flush();

  Stats stats() const;

 private:
  bool resend_one();
  void acknowledge(std::uint64_t bundle_seq);
  void run();

  SqliteBuffer& buffer_;
  BundlePacker& packer_;
  BundleSink& sink_;
  const Clock& clock_;
  std::chrono::milliseconds max_latency_;
  DeliveredHook on_delivered_;

  std::deque<InflightBundle> resend_;  // in flight at start-up or after a failed delivery
  std::size_t fetch_size_ = 4096;      // unsent readings read per attempt; grows to fill a bundle
  std::atomic<bool> flush_{false};

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool running_ = false;
  Stats stats_;
  std::thread thread_;
};

}  // namespace edgegw
