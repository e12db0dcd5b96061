#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "gateway/model/clock.h"
#include "gateway/model/histogram.h"
#include "gateway/model/log_throttle.h"
#include "gateway/uplink/rate_shaper.h"
#include "gateway/uplink/transport.h"
#include "proto/bundle_packer.h"
#include "storage/sqlite_buffer.h"

namespace edgegw {

/// Gets every accepted reading and alarm to the far side of a Transport, oldest first, alarms
/// before telemetry. A bundle is recorded in flight before it is published and its rows are
/// deleted only when the transport reports it acknowledged, so after a crash or a reconnect
/// the same bytes go out again under the same bundle_seq. While the transport is down,
/// readings simply stay in the buffer (store and forward).
///
/// Runs on a thread of its own: every buffer call blocks on the storage thread, and neither
/// the io_context nor the transport's callback threads may block.
class Uplink {
 public:
  struct Options {
    std::string telemetry_topic;
    std::string alarm_topic;
    std::size_t inflight_window = 16;  ///< bundles published and not yet acknowledged
    std::size_t alarm_window = 16;     ///< alarms published and not yet acknowledged
    std::chrono::milliseconds max_latency{60'000};
    double max_publishes_per_s = 0;  ///< 0: unlimited
    double max_bytes_per_s = 0;      ///< 0: unlimited
    /// How long a lane (telemetry or alarms) holds off after the broker refused one of its
    /// publishes for good; the message is kept and sent again after it.
    std::chrono::milliseconds refused_retry{30'000};
  };
  /// Bucket bounds of Stats::bundle_bytes: around the 4 KB (Azure) and 5 KB (AWS) units, so
  /// full bundles stand out from ones closed early by max_latency.
  static constexpr std::array<double, 9> kBundleByteBounds = {256,  512,  1024, 2048, 3072,
                                                              4096, 5120, 8192, 16384};
  /// Bucket bounds, in seconds, of the publish-to-acknowledgement latencies.
  static constexpr std::array<double, 13> kLatencyBounds = {
      0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
  struct Stats {
    std::uint64_t bundles_published = 0;  ///< resends included
    std::uint64_t bundles_acked = 0;
    std::uint64_t readings_acked = 0;  ///< of bundles made by this process
    std::uint64_t payload_bytes_acked = 0;
    std::uint64_t alarms_acked = 0;
    std::uint64_t reconnects = 0;
    /// Publishes the broker refused for good (MQTT 5 reason code 0x80 or above); kept, retried
    /// after refused_retry.
    std::uint64_t publishes_refused = 0;
    std::string last_refusal;  ///< the topic and the broker's reason, of the latest refusal
    std::size_t inflight = 0;
    bool connected = false;
    std::string last_error;  ///< why the connection last went down or could not be made
    Histogram bundle_bytes{kBundleByteBounds};  ///< payload size of each acknowledged bundle
    /// From handing a bundle (or an alarm) to the transport to its acknowledgement.
    Histogram bundle_latency_s{kLatencyBounds};
    Histogram alarm_latency_s{kLatencyBounds};
  };
  /// One message handed to the transport. The provider bills every one it receives, resends
  /// included, so this is what billing counts.
  struct Published {
    std::string_view topic;
    std::size_t payload_bytes = 0;
    std::size_t readings = 0;  ///< of a bundle packed now; 0 for a resend or a single message
    bool bundle = true;        ///< false: one message of its own (an alarm, a command's answer)
  };
  /// Called (on the uplink thread) for every message the transport took.
  using PublishedHook = std::function<void(const Published&)>;
  /// Called (on the uplink thread) with the id of every alarm the far side acknowledged.
  using AlarmAckedHook = std::function<void(std::int64_t alarm_id)>;

  Uplink(SqliteBuffer& buffer, BundlePacker& packer, Transport& transport, const Clock& clock,
         Options options, PublishedHook on_published = {}, AlarmAckedHook on_alarm_acked = {});
  ~Uplink();

  /// Starts the transport and a thread that calls step() whenever there may be work.
  void start();
  /// Starts only the transport: its events queue up until step() handles them. For tests
  /// that drive step() by hand.
  void connect();
  /// Stops the thread, then the transport. Whatever is in flight stays recorded for next time.
  void stop();
  /// Closes the open bundle now, however full it is.
  void request_flush();
  /// An alarm was added to the buffer: publish it now.
  void alarm_raised();
  /// Publishes a command's answer ahead of everything else, through the same rate shaper, at
  /// most once: an answer lost with its connection is not sent again (the cloud asks again and
  /// the command processor answers from memory). While the connection is down the newest
  /// kMaxResponsesQueued wait. Callable from any thread.
  void respond(std::string topic, std::string payload);
  static constexpr std::size_t kMaxResponsesQueued = 64;

  /// Does what can be done now: handles transport events, publishes pending alarms, re-sends
  /// and publishes bundles while the window and the rate limits allow. Returns the time to
  /// wait before there may be more to do (zero: call again at once). Public for tests.
  std::chrono::nanoseconds step();

  Stats stats() const;

 private:
  enum class Kind { bundle, alarm };
  struct Outstanding {
    Kind kind;
    InflightBundle bundle;     // for Kind::bundle
    std::size_t readings = 0;  // 0 when unknown: a bundle packed before a restart
    bool resend = false;       // published before: billed again, its readings already counted
    std::chrono::steady_clock::time_point sent_at{};
  };
  struct Event {
    enum { ended, up, down } what;
    std::uint64_t token = 0;
    PublishResult result;                        // for ended: how a publish ended
    std::string reason;                          // for down
    std::chrono::steady_clock::time_point at{};  // when the transport reported it
  };

  void handle(const Event& event);
  /// A publish that did not end in an acknowledgement: sent again after a hold-off (a second,
  /// or refused_retry after a refusal).
  void not_delivered(std::uint64_t token, Outstanding entry, const PublishResult& result,
                     std::chrono::steady_clock::time_point at);
  /// Puts a bundle back among those to re-send, in bundle_seq order.
  void requeue(InflightBundle bundle);
  /// Deletes the rows of every bundle acknowledged since the last call, in one transaction.
  void delete_acked();
  bool publish_alarms();
  bool publish_responses();
  /// Publishes one bundle if one is due (returns nothing: call again), else how long to wait.
  std::optional<std::chrono::nanoseconds> publish_bundle();
  bool send(Outstanding entry, std::uint64_t token, const std::string& topic,
            std::string_view payload);
  void post(Event event);
  void run();
  /// Logs a condition that repeats at every step while it lasts (the buffer refusing a
  /// write) once per interval.
  void log_stuck(const std::string& message);

  SqliteBuffer& buffer_;
  BundlePacker& packer_;
  Transport& transport_;
  const Clock& clock_;
  Options options_;
  PublishedHook on_published_;
  AlarmAckedHook on_alarm_acked_;
  RateShaper shaper_;
  LogThrottle stuck_log_{std::chrono::seconds(30)};
  LogThrottle refused_log_{std::chrono::seconds(30)};

  // Touched only by the thread running step().
  bool connected_ = false;
  bool ever_connected_ = false;
  std::map<std::uint64_t, Outstanding> outstanding_;  // by token
  std::size_t outstanding_bundles_ = 0;
  std::vector<Outstanding> acked_;  // acknowledged, rows not yet deleted
  std::deque<InflightBundle> resend_;
  // Readings in each bundle this process packed and the far side has not acknowledged yet, so
  // that a bundle re-sent after a reconnect still counts its readings once acknowledged.
  struct PackedCount {
    std::size_t readings = 0;
    bool published = false;  // went out at least once (billed, readings counted)
  };
  std::map<std::uint64_t, PackedCount> packed_readings_;
  std::size_t fetch_size_ = 4096;
  bool alarms_dirty_ = true;
  // A lane whose publish failed sends nothing until `until`. A new connection ends a hold after
  // a plain failure (so alarms still go before the backlog), not one after a refusal.
  struct LaneHold {
    std::chrono::steady_clock::time_point until{};
    bool refused = false;
  };
  LaneHold telemetry_hold_;
  LaneHold alarm_hold_;
  bool flush_pending_ = false;
  Stats local_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Event> events_;
  bool flush_ = false;
  bool alarm_raised_ = false;
  struct Response {
    std::string topic;
    std::string payload;
  };
  std::deque<Response> responses_;
  bool response_added_ = false;      // wakes the thread; responses_ may wait out the shaper
  std::uint64_t next_response_ = 0;  // touched only by the thread running step()
  bool running_ = false;
  bool transport_started_ = false;
  Stats stats_;
  std::thread thread_;
};

}  // namespace edgegw
