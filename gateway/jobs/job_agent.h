#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "gateway/jobs/job.h"
#include "gateway/model/clock.h"
#include "gateway/uplink/transport.h"

namespace edgegw {

struct JobAgentOptions {
  std::string thing_name;
  /// A job whose final status waits for the restart it asked for (JobOutcome::restart).
  std::filesystem::path pending_file;
  /// How long to wait for the cloud's answer to a request before sending it again.
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};
};

/// Where the jobs stand, for /api/v1/status and the metrics.
struct JobsStatus {
  std::string current;  ///< the job being handled, or empty
  std::string step;     ///< idle, asking, starting, running, finishing, restarting
  std::string last_job;
  std::string last_operation;
  std::string last_status;  ///< SUCCEEDED, FAILED, REJECTED
  std::map<std::string, std::string> last_details;
  std::map<std::string, std::uint64_t> finished;  ///< by final status
  std::string last_error;                         ///< the cloud refused an update, and why
};

/// The device's side of AWS IoT Jobs ("Jobs device MQTT API"), one job at a time: after every
/// connect it asks for the next pending job ($next/get) and hears of new ones on notify-next;
/// it marks a queued job IN_PROGRESS, runs it once the cloud has accepted that, and reports
/// SUCCEEDED, FAILED or REJECTED with statusDetails, then asks for the next. A job that ends
/// in a restart (restart, a config that cannot change live) is written to pending_file first,
/// and the gateway after the restart reports its status. A request the cloud does not answer
/// in `timeout` is sent again; a job the cloud ended meanwhile (canceled, removed) is let go.
/// Single-threaded: the transport's event thread (messages, connection events, poll(), done).
class JobAgent {
 public:
  using Publish = std::function<void(const std::string& topic, const std::string& payload)>;
  using Done = std::function<void(JobOutcome)>;
  /// Runs a job and calls `done` with its outcome, on the agent's thread, now or later.
  using Run = std::function<void(const Job& job, Done done)>;
  /// The gateway stops and starts again (after pending_file has been written).
  using Restart = std::function<void()>;

  JobAgent(JobAgentOptions options, Run run, Restart restart, Publish publish, const Clock& clock);

  /// Subscribes to notify-next and the answer topics; before the transport starts.
  void subscribe(Transport& transport);
  void connection_changed(bool up);
  /// Sends again what was not answered in time. Returns when to be called again at the latest.
  std::chrono::steady_clock::time_point poll();
  /// Runs when a message changed what poll() would return, so the owner polls again.
  void on_change(std::function<void()> callback) { on_change_ = std::move(callback); }

  JobsStatus status() const;
  /// "$aws/things/<thing>/jobs".
  std::string topic_prefix() const { return "$aws/things/" + options_.thing_name + "/jobs"; }

 private:
  enum class Step { idle, asking, starting, running, finishing, restarting };
  struct Current {
    Job job;
    std::string operation;
    JobOutcome outcome;  ///< once run
  };

  void ask_next();
  void begin(const boost::json::object& execution);
  void send_update(const std::string& status, const std::map<std::string, std::string>& details);
  void send_current_request();
  void run_current();
  void finished(JobOutcome outcome);
  void settle(const std::string& job_status, const std::string& why);
  void on_next(const InboundMessage& message);
  void on_update_answer(const InboundMessage& message, bool accepted);
  std::optional<boost::json::object> answer_to_us(const InboundMessage& message) const;
  void set_step(Step step);
  void changed();
  void load_pending();
  void write_pending(const JobOutcome& outcome) const;
  void clear_pending() const;

  JobAgentOptions options_;
  Run run_;
  Restart restart_;
  Publish publish_;
  const Clock& clock_;
  std::function<void()> on_change_;

  bool connected_ = false;
  Step step_ = Step::idle;
  std::optional<Current> current_;
  /// A job finished before the restart, as read from pending_file.
  bool current_is_pending_ = false;
  std::string request_token_;  ///< clientToken of the request in flight
  std::uint64_t next_token_ = 1;
  std::optional<std::chrono::steady_clock::time_point> deadline_;
  /// Bumped when a run is let go (disconnect does not do it; a cancel does), so a late `done`
  /// from an abandoned run is ignored.
  std::uint64_t run_generation_ = 0;

  mutable std::mutex status_mutex_;
  JobsStatus status_;
};

}  // namespace edgegw
