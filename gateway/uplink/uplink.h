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
#include <set>
#include <thread>
#include <variant>
#include <vector>

#include "gateway/model/clock.h"
#include "gateway/model/histogram.h"
#include "gateway/model/log_throttle.h"
#include "gateway/uplink/bundler.h"
#include "gateway/uplink/rate_shaper.h"
#include "gateway/uplink/transport.h"
#include "proto/bundle_packer.h"
#include "storage/sqlite_buffer.h"

namespace edgegw {

/// The one publisher on the cloud connection: with the Transport (which owns the connection,
/// its subscriptions and the delivery of what arrives on them) it is the cloud session. Every
/// message goes out through its one rate shaper, so the provider's per-connection limits hold
/// for all of them together: control messages first, then alarms, then telemetry.
///
/// Gets every accepted reading and alarm to the far side of a Transport, oldest first, alarms
/// before telemetry. A bundle is recorded in flight before it is published and its rows are
/// deleted only when the transport reports it acknowledged, so after a crash or a reconnect
/// the same bytes go out again under the same bundle_seq. While the transport is down,
/// readings simply stay in the buffer (store and forward).
///
/// Bundles come from a Bundler fed by the buffer's commit listener: a reading is encoded once,
/// when it is committed, and only a backlog is read back. The storage work of a bundle is posted
/// (a backlog read to the buffer's reader thread, recording it in flight and deleting its rows
/// once acknowledged to the storage thread) and its result comes back as an event, so
/// publishing never waits on SQLite: while bundles are in flight the next ones are prepared, and
/// a drain reads the next rows while the last ones are deleted. Runs on a thread of its own (the
/// transport's callback threads and the io_context only enqueue).
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
    std::uint64_t last_acked_bundle_seq = 0;  ///< the highest the far side acknowledged
    std::uint64_t readings_acked = 0;         ///< of bundles made by this process
    std::uint64_t payload_bytes_acked = 0;
    std::uint64_t alarms_acked = 0;
    std::uint64_t reconnects = 0;
    /// Publishes the broker refused for good (MQTT 5 reason code 0x80 or above); kept, retried
    /// after refused_retry.
    std::uint64_t publishes_refused = 0;
    std::string last_refusal;  ///< the topic and the broker's reason, of the latest refusal
    /// Storage transactions the bundle pipeline asked for: backlog reads, in-flight records and
    /// acknowledgement deletes (one record or delete may cover several bundles).
    std::uint64_t storage_reads = 0;
    std::uint64_t storage_records = 0;
    std::uint64_t storage_deletes = 0;
    std::size_t inflight = 0;
    bool connected = false;
    std::string last_error;  ///< why the connection last went down or could not be made
    /// The transport's subscriptions and the broker's answer to each on this connection.
    std::vector<SubscriptionState> subscriptions;
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

  /// Called on the transport's event thread every time the connection comes up or goes down,
  /// for the parts that talk with the cloud over it (certificate renewal, later the shadow).
  using ConnectionHook = std::function<void(bool up)>;
  /// Before start().
  void set_connection_hook(ConnectionHook hook) { on_connection_ = std::move(hook); }

  /// Starts the transport and a thread that calls step() whenever there may be work.
  void start();
  /// Loads what was in flight at the last stop, starts taking committed readings and starts
  /// the transport; events queue up until step() handles them. For tests that drive step() by
  /// hand.
  void connect();
  /// Stops gracefully: no new bundle is closed or published, and for up to `drain` the thread
  /// waits for the broker to acknowledge what is already out (bundles, alarms, control messages
  /// such as a job's last status) and sends the alarms and control messages still queued; then
  /// it stops, then the transport. Whatever is still in flight stays recorded for next time.
  void stop(std::chrono::milliseconds drain = kStopDrain);
  static constexpr std::chrono::milliseconds kStopDrain{3000};
  /// Closes the open bundle now, however full it is.
  void request_flush();
  /// Changes max_latency while running (the open bundle included). Callable from any thread.
  void set_max_latency(std::chrono::milliseconds max_latency);
  /// An alarm was added to the buffer: publish it now.
  void alarm_raised();
  /// Publishes a control message, the device's side of a conversation with the cloud (a
  /// command's answer; later shadow, twin and job messages), ahead of everything else, through
  /// the same rate shaper, at most once: one lost with its connection is not sent again (the
  /// cloud asks again, and the command processor answers from memory; a shadow or job exchange
  /// has its own timeout). While the connection is down the newest kMaxControlQueued wait.
  /// Callable from any thread.
  void publish_control(std::string topic, std::string payload);
  static constexpr std::size_t kMaxControlQueued = 64;

  /// Does what can be done now: handles transport and storage events, publishes pending
  /// alarms, closes, records and publishes bundles while the window and the rate limits allow.
  /// Returns the time to wait before there may be more to do (zero: call again at once); an
  /// event wakes the thread sooner. Public for tests.
  std::chrono::nanoseconds step();
  /// No storage work is outstanding and no event waits for step(): a test that drives step()
  /// by hand has seen everything settle.
  bool idle() const;

  Stats stats() const;

 private:
  /// How many closed bundles (recorded or being recorded, not yet published) the uplink keeps
  /// ready while connected: enough that publishing never waits for the next, few enough that
  /// the backlog stays plain rows, which retention may still shed.
  static constexpr std::size_t kPreparedAhead = 12;
  /// A backlog read asks for about this many bundles' rows: half of kPreparedAhead, so the
  /// next read is already out while the rows of the last one are packed and recorded, and the
  /// storage threads never wait for the uplink.
  static constexpr std::size_t kBundlesPerRead = kPreparedAhead / 2;

  /// A recorded bundle on its way out, in bundle_seq order.
  struct Sendable {
    InflightBundle bundle;
    std::size_t readings = 0;  // 0 when unknown: a bundle packed before a restart
    bool published = false;    // went out before: billed again, its readings already counted
  };
  enum class Kind { bundle, alarm };
  struct Outstanding {
    Kind kind;
    Sendable bundle;  // for Kind::bundle
    std::chrono::steady_clock::time_point sent_at{};
  };
  struct TransportEvent {
    enum { ended, up, down } what;
    std::uint64_t token = 0;
    PublishResult result;                        // for ended: how a publish ended
    std::string reason;                          // for down
    std::chrono::steady_clock::time_point at{};  // when the transport reported it
  };
  /// From the storage threads: a batch committed, rows read for the bundler, a bundle recorded.
  struct Committed {
    std::int64_t first_seq;
    std::vector<Reading> readings;
  };
  struct RowsRead {
    std::int64_t after = 0;  // the bundler's after_seq it was asked for
    UnsentRows unsent;
    std::size_t asked = 0;
    bool failed = false;  // the read threw: nothing was read, try again after a while
  };
  /// Closed bundles sent to be recorded in flight, in order, in one transaction.
  struct Recorded {
    std::vector<ClosedBundle> bundles;
    RecordOutcome outcome;
  };
  /// Acknowledged bundles whose delete failed (empty: it succeeded).
  struct AcksDeleted {
    std::vector<std::uint64_t> seqs;
  };
  /// The oldest pending alarms, up to `asked`; `failed`: the read failed.
  struct AlarmsRead {
    std::vector<Alarm> alarms;
    std::size_t asked = 0;
    bool failed = false;
  };
  using Event =
      std::variant<TransportEvent, Committed, RowsRead, Recorded, AcksDeleted, AlarmsRead>;

  void handle(TransportEvent event);
  void handle(Committed event);
  void handle(RowsRead event);
  void handle(Recorded event);
  void handle(AcksDeleted event);
  void handle(AlarmsRead event);
  /// A publish that did not end in an acknowledgement: sent again after a hold-off (a second,
  /// or refused_retry after a refusal).
  void not_delivered(std::uint64_t token, Outstanding entry, const PublishResult& result,
                     std::chrono::steady_clock::time_point at);
  /// Puts a bundle back among those to send, in bundle_seq order.
  void requeue(Sendable bundle);
  /// Every publish outstanding on a connection that ended goes again on the next one.
  void requeue_outstanding();
  /// Deletes the rows of every bundle acknowledged since the last call, in one transaction on
  /// the storage thread.
  void delete_acked();
  bool publish_alarms();
  bool publish_control_messages();
  /// Stopping may end: nothing waits for the broker, or nothing could reach it.
  bool drained() const;
  /// Reads a backlog when behind, closes what is due and sends the closed bundles to be
  /// recorded in flight.
  void prepare_bundles();
  /// Publishes bundles while the window, the hold and the shaper allow; true if one went.
  bool publish_bundles();
  /// Publishes under `token` and keeps `entry` outstanding; a bundle's entry supplies its own
  /// payload. Returns the entry when the transport could not take it.
  std::optional<Outstanding> send(std::uint64_t token, Outstanding entry, const std::string& topic,
                                  std::string_view payload);
  /// Runs `work` on the storage thread (writes) or on the buffer's reader thread (`read`);
  /// whatever it returns comes back through post().
  enum class StorageLane { write, read };
  template <class Work>
  void on_storage(Work work, StorageLane lane = StorageLane::write);
  void post(Event event);
  /// The earliest of the deadlines this step found (a hold ending, the open bundle due).
  void wake_at(std::chrono::steady_clock::time_point at);
  bool room_to_prepare() const;
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
  ConnectionHook on_connection_;
  RateShaper shaper_;
  LogThrottle stuck_log_{std::chrono::seconds(30)};
  LogThrottle refused_log_{std::chrono::seconds(30)};

  // Touched only by the thread running step().
  std::chrono::steady_clock::time_point sleep_until_{};  // what step()'s wait ends at
  Bundler bundler_;
  bool connected_ = false;
  bool ever_connected_ = false;
  std::map<std::uint64_t, Outstanding> outstanding_;  // by token
  std::size_t outstanding_bundles_ = 0;
  std::vector<Outstanding> acked_;        // acknowledged, rows not yet deleted
  std::vector<std::uint64_t> undeleted_;  // acknowledged, their delete failed: tried again
  std::chrono::steady_clock::time_point delete_hold_{};  // after a failed delete
  bool delete_pending_ = false;                          // a delete is on the storage thread
  std::deque<Sendable> to_send_;  // recorded, not published on this connection yet
  bool read_pending_ = false;     // a backlog read is on the buffer's reader thread
  // Commits that arrived while a read was out: the read and the commits come from different
  // threads, so a commit may overtake the read that comes before it. Offered after the read.
  std::vector<Committed> committed_during_read_;
  std::size_t recording_ = 0;     // closed bundles being recorded on the storage thread
  std::chrono::steady_clock::time_point record_hold_{};  // storage was full: record after this
  std::chrono::steady_clock::time_point read_hold_{};    // a backlog read failed: read after this
  bool alarms_dirty_ = true;
  // Pending alarms are read on the storage thread: a read is out, or its result waits here.
  bool alarm_read_pending_ = false;
  std::optional<AlarmsRead> alarms_read_;
  // Alarms acknowledged since the read was sent: it may still list them.
  std::set<std::int64_t> acked_since_alarm_read_;
  // A lane whose publish failed sends nothing until `until`. A new connection ends a hold after
  // a plain failure (so alarms still go before the backlog), not one after a refusal.
  struct LaneHold {
    std::chrono::steady_clock::time_point until{};
    bool refused = false;
  };
  LaneHold telemetry_hold_;
  LaneHold alarm_hold_;
  bool flush_pending_ = false;
  std::optional<std::chrono::steady_clock::time_point> wake_at_;  // within one step
  Stats local_;

  // Read by the storage thread's commit listener: whether to pass committed batches on.
  std::atomic<bool> want_commits_{false};
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Event> events_;
  bool flush_ = false;
  std::optional<std::chrono::milliseconds> new_max_latency_;  // for the uplink thread to take
  bool alarm_raised_ = false;
  struct ControlMessage {
    std::string topic;
    std::string payload;
  };
  std::deque<ControlMessage> control_;
  bool control_added_ = false;      // wakes the thread; control_ may wait out the shaper
  std::uint64_t next_control_ = 0;  // touched only by the thread running step()
  bool running_ = false;
  /// Set by stop(): the thread drains until then, then returns.
  std::optional<std::chrono::steady_clock::time_point> drain_until_;
  /// Control messages published, acknowledgement not seen (touched only by the step() thread).
  std::set<std::uint64_t> control_inflight_;
  bool transport_started_ = false;
  std::size_t storage_work_ = 0;  // posted to the storage thread, result not back yet
  Stats stats_;
  std::thread thread_;
};

}  // namespace edgegw
