#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "gateway/live_settings.h"
#include "gateway/model/clock.h"
#include "gateway/uplink/transport.h"

namespace edgegw::cloud {

/// Which cloud document holds the desired and reported state.
enum class StateDialect {
  /// AWS IoT classic shadow: "$aws/things/<thing>/shadow/" get, update, update/delta, with
  /// version and clientToken.
  aws_shadow,
  /// Azure IoT Hub device twin: "$iothub/twin/GET/", "PATCH/properties/desired",
  /// "PATCH/properties/reported", with $rid and $version.
  azure_twin,
};

struct StateSyncOptions {
  StateDialect dialect = StateDialect::aws_shadow;
  std::string thing_name;  ///< the AWS thing (aws_shadow)
  /// Reported updates are coalesced: at most one per this interval, however often the state
  /// changes. They cost messages (AWS meters shadow operations in 1 KB steps).
  std::chrono::milliseconds min_report_interval{std::chrono::seconds(5)};
  /// The device's state (buffer, adapters, uptime) is reported this often; a change of the
  /// settings sooner.
  std::chrono::milliseconds report_interval{std::chrono::minutes(5)};
  /// How long to wait for the document after asking for it (then it is asked again).
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};
  /// The largest reported document sent (AWS: the whole shadow stays under 8 KB).
  std::size_t max_reported_bytes = 4096;
};

/// Where the sync stands, for /api/v1/status.
struct StateSyncStatus {
  bool synced = false;                 ///< the document was read on this connection
  std::int64_t desired_version = 0;    ///< of the latest desired state applied
  std::uint64_t desired_received = 0;  ///< desired documents and deltas received
  std::uint64_t reports_sent = 0;
  std::uint64_t reports_refused = 0;            ///< the cloud refused a reported update
  std::map<std::string, std::string> rejected;  ///< desired values refused, by path, and why
  std::string last_error;
};

/// The device's side of the shadow (AWS) or twin (Azure): reads the desired state after every
/// connect (changes made while the device was offline arrive only that way), applies it and
/// every later change (delta, desired patch) through `apply`, and reports back what is in
/// force, the device's state and what was refused. A reported update carries only what changed
/// since the last one the cloud has (a merge patch: a key no longer there is sent as null), at
/// most one per min_report_interval, and the device's state every report_interval.
/// Single-threaded: the transport's event thread (messages, connection events, poll()).
class StateSync {
 public:
  using Publish = std::function<void(const std::string& topic, const std::string& payload)>;
  /// Applies a desired document (LiveSettings::apply).
  using ApplyDesired =
      std::function<SettingsOutcome(const boost::json::object& desired, std::int64_t version)>;
  /// The reported document now, in full, without config_version and rejected (added here).
  using Reported = std::function<boost::json::object()>;

  StateSync(StateSyncOptions options, ApplyDesired apply, Reported reported, Publish publish,
            const Clock& clock);

  /// Subscribes to the answer topics; before the transport starts.
  void subscribe(Transport& transport);
  void connection_changed(bool up);
  /// Asks again for a document that did not come, sends a report that is due. Returns when to
  /// be called again at the latest.
  std::chrono::steady_clock::time_point poll();
  /// Something reported changed (armed set over the API): report it soon.
  void report_soon();
  /// Runs when a message changed what poll() would return, so the owner polls again.
  void on_change(std::function<void()> callback) { on_change_ = std::move(callback); }

  StateSyncStatus status() const;
  /// The topic prefix of the AWS shadow.
  std::string shadow_prefix() const { return "$aws/things/" + options_.thing_name + "/shadow"; }

 private:
  void request_document();
  void on_document(const boost::json::object& desired, std::int64_t version,
                   boost::json::object reported_in_cloud);
  void on_desired_change(boost::json::object desired, std::int64_t version);
  void on_report_refused(const std::string& why);
  void on_aws_get_accepted(const std::string& payload);
  void on_aws_get_rejected(const std::string& payload);
  void on_aws_delta(const std::string& payload);
  void on_aws_update_rejected(const std::string& payload);
  void on_twin_response(const InboundMessage& message);
  void on_twin_desired(const InboundMessage& message);
  void send_report();
  void changed();

  StateSyncOptions options_;
  ApplyDesired apply_;
  Reported reported_;
  Publish publish_;
  const Clock& clock_;
  std::function<void()> on_change_;

  bool connected_ = false;
  bool synced_ = false;
  std::optional<std::chrono::steady_clock::time_point> document_deadline_;
  std::chrono::milliseconds document_wait_{};  ///< for the answer to the next request
  std::string get_request_id_;                 ///< the $rid or clientToken of the GET in flight
  std::string report_request_id_;
  std::uint64_t next_request_ = 1;
  std::int64_t applied_version_ = 0;
  boost::json::object last_delta_;  ///< the latest desired change handled
  /// What the cloud holds as reported, as far as we know: the base of the next patch.
  boost::json::object reported_in_cloud_;
  std::optional<std::chrono::steady_clock::time_point> last_report_at_;
  std::chrono::steady_clock::time_point report_due_{};

  mutable std::mutex status_mutex_;
  StateSyncStatus status_;
};

}  // namespace edgegw::cloud
