#include "gateway/jobs/job_agent.h"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>

namespace edgegw {
namespace {

namespace json = boost::json;

/// Rejections after which the job is no longer the device's to finish: the operator canceled
/// or removed it, or it already ended.
bool job_is_gone(std::string_view code) {
  return code == "TerminalStateReached" || code == "ResourceNotFound" ||
         code == "InvalidStateTransition";
}

std::string string_member(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value && value->is_string() ? std::string(value->as_string()) : std::string();
}

}  // namespace

JobAgent::JobAgent(JobAgentOptions options, Run run, Restart restart, Publish publish,
                   const Clock& clock)
    : options_(std::move(options)),
      run_(std::move(run)),
      restart_(std::move(restart)),
      publish_(std::move(publish)),
      clock_(clock) {
  load_pending();
}

void JobAgent::subscribe(Transport& transport) {
  const std::string prefix = topic_prefix();
  transport.subscribe(prefix + "/notify-next", [this](const InboundMessage& m) { on_next(m); });
  transport.subscribe(prefix + "/$next/get/accepted",
                      [this](const InboundMessage& m) { on_next(m); });
  transport.subscribe(prefix + "/$next/get/rejected", [this](const InboundMessage& m) {
    if (const auto answer = answer_to_us(m); answer && step_ == Step::asking) {
      std::lock_guard lock(status_mutex_);
      status_.last_error = "$next/get rejected: " + string_member(*answer, "code") + " " +
                           string_member(*answer, "message");
    }  // asked again when the deadline passes
  });
  transport.subscribe(prefix + "/+/update/accepted",
                      [this](const InboundMessage& m) { on_update_answer(m, true); });
  transport.subscribe(prefix + "/+/update/rejected",
                      [this](const InboundMessage& m) { on_update_answer(m, false); });
}

void JobAgent::connection_changed(bool up) {
  connected_ = up;
  deadline_.reset();
  if (!up) return;
  if (step_ == Step::idle) {
    ask_next();
  } else {
    send_current_request();
  }
  changed();
}

std::chrono::steady_clock::time_point JobAgent::poll() {
  const auto now = clock_.monotonic();
  if (connected_ && deadline_ && now >= *deadline_) send_current_request();
  return deadline_.value_or(now + std::chrono::hours(1));
}

JobsStatus JobAgent::status() const {
  std::lock_guard lock(status_mutex_);
  return status_;
}

void JobAgent::send_current_request() {
  switch (step_) {
    case Step::idle:
    case Step::asking:
      ask_next();
      break;
    case Step::starting:
      send_update("IN_PROGRESS", {});
      break;
    case Step::finishing:
      send_update(std::string(job_status_name(current_->outcome.status)),
                  current_->outcome.details);
      break;
    case Step::running:
    case Step::restarting:
      deadline_.reset();  // nothing to send: the job itself is on its way
      break;
  }
}

void JobAgent::ask_next() {
  set_step(Step::asking);
  request_token_ = options_.thing_name + "-" + std::to_string(next_token_++);
  deadline_ = clock_.monotonic() + options_.timeout;
  publish_(topic_prefix() + "/$next/get",
           json::serialize(json::object{{"clientToken", request_token_}}));
}

void JobAgent::send_update(const std::string& status,
                           const std::map<std::string, std::string>& details) {
  request_token_ = options_.thing_name + "-" + std::to_string(next_token_++);
  deadline_ = clock_.monotonic() + options_.timeout;
  json::object request{{"status", status}, {"clientToken", request_token_}};
  if (!details.empty()) request["statusDetails"] = status_details_json(details);
  publish_(topic_prefix() + "/" + current_->job.id + "/update", json::serialize(request));
}

std::optional<json::object> JobAgent::answer_to_us(const InboundMessage& message) const {
  boost::system::error_code error;
  json::value answer = json::parse(message.payload, error);
  if (error || !answer.is_object()) return std::nullopt;
  if (string_member(answer.as_object(), "clientToken") != request_token_) return std::nullopt;
  return std::move(answer.as_object());
}

void JobAgent::on_next(const InboundMessage& message) {
  const bool notification = message.topic.ends_with("/notify-next");
  std::optional<json::object> answer;
  if (notification) {
    // A notification carries no token; it only matters while no job is in hand.
    if (step_ != Step::idle && step_ != Step::asking) return;
    boost::system::error_code error;
    json::value parsed = json::parse(message.payload, error);
    if (error || !parsed.is_object()) return;
    answer = std::move(parsed.as_object());
  } else {
    answer = answer_to_us(message);
    if (!answer || step_ != Step::asking) return;
  }
  const auto* execution = answer->if_contains("execution");
  if (execution && execution->is_object()) {
    begin(execution->as_object());
  } else if (!notification || step_ == Step::idle) {
    set_step(Step::idle);  // nothing pending: notify-next tells of the next one
    deadline_.reset();
  }
  changed();
}

void JobAgent::begin(const json::object& execution) {
  const std::string id = string_member(execution, "jobId");
  const std::string status = string_member(execution, "status");
  if (id.empty()) return;
  Current current{.job = {.id = id, .document = {}}, .operation = {}, .outcome = {}};
  if (const auto* document = execution.if_contains("jobDocument");
      document && document->is_object()) {
    current.job.document = document->as_object();
    current.operation = current.job.operation();
  }
  current_ = std::move(current);
  current_is_pending_ = false;
  {
    std::lock_guard lock(status_mutex_);
    status_.current = id;
  }
  spdlog::info("jobs: job {} ({}) is next, {}", id,
               current_->operation.empty() ? "no operation" : current_->operation, status);
  if (status == "IN_PROGRESS") {
    // Started before a crash or a restart that left no record: run it again (each operation is
    // safe to run twice).
    run_current();
    return;
  }
  set_step(Step::starting);
  send_update("IN_PROGRESS", {});
}

void JobAgent::run_current() {
  set_step(Step::running);
  deadline_.reset();
  const std::uint64_t generation = ++run_generation_;
  run_(current_->job, [this, generation](JobOutcome outcome) {
    if (generation != run_generation_ || step_ != Step::running) return;
    finished(std::move(outcome));
    changed();
  });
}

void JobAgent::finished(JobOutcome outcome) {
  current_->outcome = std::move(outcome);
  if (current_->outcome.restart) {
    try {
      write_pending(current_->outcome);
    } catch (const std::exception& error) {
      // Without the record the new process would run the job again: report it now instead.
      spdlog::error("jobs: job {} cannot be kept over the restart ({}); it fails", current_->job.id,
                    error.what());
      current_->outcome =
          job_refusal(JobStatus::failed,
                      std::string("cannot record the job before restarting: ") + error.what());
    }
  }
  if (current_->outcome.restart) {
    set_step(Step::restarting);
    deadline_.reset();
    spdlog::info("jobs: job {} restarts the gateway; its status is reported after the restart",
                 current_->job.id);
    restart_();
    return;
  }
  set_step(Step::finishing);
  send_current_request();
}

void JobAgent::on_update_answer(const InboundMessage& message, bool accepted) {
  const auto answer = answer_to_us(message);
  if (!answer || !current_) return;
  const std::string prefix = topic_prefix() + "/" + current_->job.id + "/update/";
  if (!message.topic.starts_with(prefix)) return;
  if (step_ != Step::starting && step_ != Step::finishing) return;
  if (accepted) {
    if (step_ == Step::starting) {
      run_current();
    } else {
      settle(std::string(job_status_name(current_->outcome.status)), "");
    }
    changed();
    return;
  }
  const std::string code = string_member(*answer, "code");
  const std::string why = code + ": " + string_member(*answer, "message");
  if (job_is_gone(code)) {
    spdlog::warn("jobs: job {} was ended by the cloud ({}); let go", current_->job.id, why);
    settle(step_ == Step::finishing ? std::string(job_status_name(current_->outcome.status))
                                    : std::string(),
           why);
  } else {
    spdlog::warn("jobs: the update of job {} was refused ({}); sent again later", current_->job.id,
                 why);
    std::lock_guard lock(status_mutex_);
    status_.last_error = "update of " + current_->job.id + " refused: " + why;
  }
  changed();
}

void JobAgent::settle(const std::string& job_status, const std::string& why) {
  if (current_is_pending_) clear_pending();
  {
    std::lock_guard lock(status_mutex_);
    status_.current.clear();
    status_.last_job = current_->job.id;
    status_.last_operation = current_->operation;
    status_.last_status = job_status.empty() ? "let go" : job_status;
    status_.last_details = current_->outcome.details;
    if (!why.empty()) status_.last_details["cloud"] = why;
    if (!job_status.empty()) ++status_.finished[job_status];
  }
  if (!job_status.empty()) {
    spdlog::info("jobs: job {} {}", current_->job.id, job_status);
  }
  current_.reset();
  current_is_pending_ = false;
  ask_next();
}

void JobAgent::set_step(Step step) {
  step_ = step;
  static constexpr const char* kNames[] = {"idle",    "asking",    "starting",
                                           "running", "finishing", "restarting"};
  std::lock_guard lock(status_mutex_);
  status_.step = kNames[static_cast<int>(step)];
}

void JobAgent::changed() {
  if (on_change_) on_change_();
}

void JobAgent::load_pending() {
  if (options_.pending_file.empty()) return;
  try {
    auto pending = read_pending_job(options_.pending_file);
    if (!pending) return;
    const std::string id = pending->job_id;
    current_ = Current{.job = {.id = id, .document = {}},
                       .operation = std::move(pending->operation),
                       .outcome = std::move(pending->outcome)};
    current_is_pending_ = true;
    set_step(Step::finishing);
    std::lock_guard lock(status_mutex_);
    status_.current = id;
  } catch (const std::exception& error) {
    spdlog::error("jobs: {} cannot be read ({}); set aside", options_.pending_file.string(),
                  error.what());
    std::error_code ignored;
    std::filesystem::rename(options_.pending_file, options_.pending_file.string() + ".unreadable",
                            ignored);
  }
}

void JobAgent::write_pending(const JobOutcome& outcome) const {
  write_pending_job(
      options_.pending_file,
      {.job_id = current_->job.id, .operation = current_->operation, .outcome = outcome});
}

void JobAgent::clear_pending() const {
  std::error_code ignored;
  std::filesystem::remove(options_.pending_file, ignored);
}

}  // namespace edgegw
