#pragma once

#include <boost/json/value.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "gateway/jobs/job.h"
#include "gateway/model/clock.h"
#include "gateway/model/log_throttle.h"
#include "gateway/uplink/transport.h"

namespace edgegw::cloud {

/// How commands arrive and are answered; a contract the cloud side scripts against.
enum class CommandDialect {
  /// aws and generic: {"id": "<string>", "args": {...}} on "<command topic>/<name>", answered on
  /// the response topic with {"id", "command", "status", "result"} (and "error" unless 200).
  topic_json,
  /// azure: IoT Hub direct methods, "$iothub/methods/POST/<name>/?$rid=<rid>", answered on
  /// "$iothub/methods/res/<status>/?$rid=<rid>" with the result (or {"error"}) as the body.
  azure_methods,
};

/// What the commands do to the gateway; the gateway wires them. Called on the thread that
/// delivers the messages, so each must return without blocking.
struct CommandActions {
  std::function<boost::json::value()> status;  ///< the /api/v1/status document
  std::function<void(bool armed)> set_armed;
  std::function<void()> flush;
  /// azure_methods only: runs a job that arrived as a direct method (update-config, restart,
  /// update-software; JobRunner::run). Null: those methods are unknown.
  std::function<JobOutcome(const Job&)> run_job;
};

struct CommandOptions {
  CommandDialect dialect = CommandDialect::topic_json;
  std::string response_topic;  ///< topic_json only
  /// A request id seen this recently for the same command is answered again without running
  /// the command twice (QoS 1 may deliver a request twice; a cloud may retry).
  std::chrono::milliseconds dedupe_window{std::chrono::minutes(5)};
  std::size_t dedupe_max = 1024;  ///< ids remembered at most; the oldest are forgotten first
};

struct CommandStats {
  std::uint64_t received = 0;
  std::uint64_t answered = 0;
  std::uint64_t duplicates = 0;  ///< answered again from memory, not run
  std::uint64_t dropped = 0;     ///< malformed with no id to answer: counted and logged only
  std::map<int, std::uint64_t> by_status;  ///< answers by status code
};

/// An answer to publish.
struct CommandReply {
  std::string topic;
  std::string payload;
  /// The job it ran takes effect in a new process: restart once the answer is queued.
  bool restart_after = false;
};

/// The cloud's commands: ping, status, arm, disarm, flush. Turns one request message into its
/// answer; malformed input is answered 400 where it carries an id and dropped (counted) where
/// it does not, never thrown. handle() is called from one thread; stats() from any.
class CommandProcessor {
 public:
  CommandProcessor(CommandOptions options, CommandActions actions, const Clock& clock);

  std::optional<CommandReply> handle(const InboundMessage& message);
  CommandStats stats() const;

  /// The names of the commands, for messages and the README.
  static constexpr const char* kCommands = "ping, status, arm, disarm, flush";
  /// Direct methods that run as jobs (azure_methods with run_job), the job document as payload.
  static constexpr const char* kJobMethods = "update-config, restart, update-software";

 private:
  struct Outcome {
    int status = 200;
    boost::json::value result;  ///< for 200, and for a job's answer whatever the status
    std::string error;          ///< otherwise
    bool restart_after = false;
  };
  struct Remembered {
    CommandReply reply;
    std::chrono::steady_clock::time_point at;
  };

  Outcome run(const std::string& command);
  bool runs_jobs() const {
    return options_.dialect == CommandDialect::azure_methods && actions_.run_job != nullptr;
  }
  /// A direct method that is a job: its payload is the job document.
  Outcome run_job(const std::string& method, const std::string& rid,
                  const boost::json::value& args);
  CommandReply answer(const std::string& id, const std::string& command, const Outcome& outcome);
  void drop(const std::string& why, const std::string& topic);
  void forget_expired(std::chrono::steady_clock::time_point now);

  CommandOptions options_;
  CommandActions actions_;
  const Clock& clock_;
  std::map<std::string, Remembered> seen_;
  std::deque<std::string> seen_order_;
  LogThrottle drop_log_{std::chrono::seconds(30)};
  mutable std::mutex stats_mutex_;
  CommandStats stats_;
};

}  // namespace edgegw::cloud
