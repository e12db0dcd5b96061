#include "gateway/cloud/commands.h"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include "gateway/cloud/iothub_topic.h"

namespace edgegw::cloud {
namespace {

namespace json = boost::json;

constexpr std::size_t kMaxIdBytes = 256;
constexpr std::string_view kMethodPrefix = "$iothub/methods/POST/";

/// One request as it arrived: the command's name, the id to answer under, and what is wrong
/// with it if anything (answered 400 when there is an id, dropped when there is not).
struct Request {
  std::string command;
  std::string id;
  std::string problem;
  json::value args;  ///< the arguments (azure: the method's payload), null if none
};

Request parse_topic_json(const InboundMessage& message) {
  Request request;
  const auto slash = message.topic.rfind('/');
  request.command = slash == std::string::npos ? message.topic : message.topic.substr(slash + 1);
  json::error_code ec;
  const json::value body = json::parse(message.payload, ec);
  if (ec) {
    request.problem = "the request is not JSON: " + ec.message();
    return request;
  }
  const json::object* object = body.if_object();
  const json::value* id = object ? object->if_contains("id") : nullptr;
  if (!id || !id->is_string() || id->as_string().empty() || id->as_string().size() > kMaxIdBytes) {
    request.problem = R"(the request has no "id" (a string of 1 to 256 bytes))";
    return request;
  }
  request.id = std::string(id->as_string());
  const json::value* args = object->if_contains("args");
  if (args && !args->is_object() && !args->is_null()) {
    request.problem = R"("args" must be an object)";
  }
  return request;
}

Request parse_azure_method(const InboundMessage& message) {
  Request request;
  std::string_view topic = message.topic;
  if (!topic.starts_with(kMethodPrefix)) {
    request.problem = "not a direct method topic";
    return request;
  }
  topic.remove_prefix(kMethodPrefix.size());
  const auto end = topic.find('/');
  request.command = std::string(topic.substr(0, end));
  request.id = topic_parameter(topic, "$rid");
  if (request.id.empty() || request.id.size() > kMaxIdBytes) {
    request.id.clear();
    request.problem = "the method call has no $rid";
    return request;
  }
  // The method's payload is the arguments: JSON, possibly null.
  json::error_code ec;
  if (!message.payload.empty()) request.args = json::parse(message.payload, ec);
  if (ec) request.problem = "the method payload is not JSON: " + ec.message();
  return request;
}

bool is_job_method(std::string_view method) {
  return method == "update-config" || method == "restart" || method == "update-software";
}

}  // namespace

CommandProcessor::CommandProcessor(CommandOptions options, CommandActions actions,
                                   const Clock& clock)
    : options_(std::move(options)), actions_(std::move(actions)), clock_(clock) {}

CommandStats CommandProcessor::stats() const {
  std::lock_guard lock(stats_mutex_);
  return stats_;
}

void CommandProcessor::drop(const std::string& why, const std::string& topic) {
  {
    std::lock_guard lock(stats_mutex_);
    ++stats_.dropped;
  }
  std::uint64_t held_back = 0;
  if (drop_log_.should_log(clock_.monotonic(), held_back)) {
    spdlog::warn("commands: dropped a request on {}: {}{}", topic, why,
                 held_back == 0
                     ? std::string()
                     : " (" + std::to_string(held_back) + " more since the last report)");
  }
}

void CommandProcessor::forget_expired(std::chrono::steady_clock::time_point now) {
  while (!seen_order_.empty()) {
    auto found = seen_.find(seen_order_.front());
    const bool expired = found == seen_.end() || now - found->second.at >= options_.dedupe_window;
    if (!expired && seen_.size() <= options_.dedupe_max) return;
    if (found != seen_.end()) seen_.erase(found);
    seen_order_.pop_front();
  }
}

CommandProcessor::Outcome CommandProcessor::run_job(const std::string& method,
                                                    const std::string& rid,
                                                    const json::value& args) {
  if (!args.is_object() && !args.is_null()) {
    return {.status = 400, .result = nullptr, .error = "the payload must be the job document"};
  }
  Job job{.id = "method-" + rid, .document = args.is_object() ? args.as_object() : json::object{}};
  job.document["operation"] = method;
  const JobOutcome outcome = actions_.run_job(job);
  // As AWS IoT Jobs would report it; a restart answers before it happens, so only its start,
  // and so does a job that goes on in the background.
  const bool going_on = outcome.restart || outcome.status == JobStatus::in_progress;
  const std::string status =
      going_on ? "IN_PROGRESS" : std::string(job_status_name(outcome.status));
  const auto reason = outcome.details.find("reason");
  return {
      .status = going_on                                 ? 202
                : outcome.status == JobStatus::succeeded ? 200
                : outcome.status == JobStatus::failed    ? 400
                                                         : 403,
      .result = json::object{{"status", status}, {"details", status_details_json(outcome.details)}},
      .error = reason == outcome.details.end() ? status : reason->second,
      .restart_after = outcome.restart};
}

CommandProcessor::Outcome CommandProcessor::run(const std::string& command) {
  try {
    if (command == "ping") {
      return {.status = 200,
              .result = json::object{{"pong", true}, {"ts_ms", clock_.wall_ms()}},
              .error = {}};
    }
    if (command == "status") {
      return {.status = 200, .result = actions_.status(), .error = {}};
    }
    if (command == "arm" || command == "disarm") {
      const bool armed = command == "arm";
      actions_.set_armed(armed);
      return {.status = 200, .result = json::object{{"armed", armed}}, .error = {}};
    }
    if (command == "flush") {
      actions_.flush();
      return {.status = 200, .result = json::object{{"flush", "requested"}}, .error = {}};
    }
  } catch (const std::exception& error) {
    spdlog::error("commands: {} failed: {}", command, error.what());
    return {.status = 500, .result = nullptr, .error = command + " failed: " + error.what()};
  }
  return {.status = 404,
          .result = nullptr,
          .error = "unknown command \"" + command + "\"; known: " + kCommands +
                   (runs_jobs() ? std::string(", ") + kJobMethods : std::string())};
}

CommandReply CommandProcessor::answer(const std::string& id, const std::string& command,
                                      const Outcome& outcome) {
  const json::value& result = outcome.result;
  if (options_.dialect == CommandDialect::azure_methods) {
    // The body is the result; a refusal's is {"error"}, beside the result where it has one (a
    // job's status and details).
    json::value body = result.is_object() || outcome.status == 200 ? result : json::object{};
    if (outcome.status >= 300) body.as_object()["error"] = outcome.error;
    return {.topic = "$iothub/methods/res/" + std::to_string(outcome.status) + "/?$rid=" + id,
            .payload = json::serialize(body),
            .restart_after = outcome.restart_after};
  }
  json::object doc{
      {"id", id}, {"command", command}, {"status", outcome.status}, {"result", result}};
  if (outcome.status != 200) doc["error"] = outcome.error;
  return {.topic = options_.response_topic, .payload = json::serialize(doc)};
}

std::optional<CommandReply> CommandProcessor::handle(const InboundMessage& message) {
  {
    std::lock_guard lock(stats_mutex_);
    ++stats_.received;
  }
  const Request request = options_.dialect == CommandDialect::azure_methods
                              ? parse_azure_method(message)
                              : parse_topic_json(message);
  if (request.id.empty()) {
    drop(request.problem, message.topic);
    return std::nullopt;
  }
  const auto now = clock_.monotonic();
  forget_expired(now);
  // Keyed by command and id: an id reused for another command is another request. IoT Hub's
  // $rid pairs a request with its answer on one connection and promises nothing beyond it, so
  // there the connection is part of the key too.
  std::string key = request.command + '\n' + request.id;
  if (options_.dialect == CommandDialect::azure_methods) {
    key += '\n' + std::to_string(message.session);
  }
  if (auto seen = seen_.find(key); seen != seen_.end()) {
    std::lock_guard lock(stats_mutex_);
    ++stats_.duplicates;
    return seen->second.reply;
  }
  Outcome outcome;
  if (!request.problem.empty()) {
    outcome = {.status = 400, .result = nullptr, .error = request.problem};
  } else if (runs_jobs() && is_job_method(request.command)) {
    outcome = run_job(request.command, request.id, request.args);
  } else {
    outcome = run(request.command);
  }
  CommandReply reply = answer(request.id, request.command, outcome);
  CommandReply remembered = reply;
  remembered.restart_after = false;  // answered again, not run again
  seen_.emplace(key, Remembered{.reply = std::move(remembered), .at = now});
  seen_order_.push_back(key);
  forget_expired(now);
  {
    std::lock_guard lock(stats_mutex_);
    ++stats_.answered;
    ++stats_.by_status[outcome.status];
  }
  spdlog::info("commands: {} (id {}) answered {}", request.command, request.id, outcome.status);
  return reply;
}

}  // namespace edgegw::cloud
