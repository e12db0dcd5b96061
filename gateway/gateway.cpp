#include "gateway/gateway.h"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <future>
#include <iomanip>
#include <sstream>

#include "adapters/registry.h"
#include "gateway/api/api_routes.h"
#include "gateway/api/auth.h"
#include "gateway/api/resource_handlers.h"
#include "gateway/cloud/dps_certificate_issuer.h"
#include "gateway/ingest/series_registration.h"
#include "gateway/model/thread_name.h"
#include "gateway/process_stats.h"
#include "gateway/scale/calibration_setting.h"
#include "gateway/status_document.h"
#include "gateway/uplink/directory_transport.h"
#include "gateway/uplink/mqtt_transport.h"
#include "gateway/uplink_billing.h"

namespace edgegw {

Gateway::Gateway(GatewayConfig config, Clock& clock, AdapterHardware hardware)
    : config_(std::move(config)),
      profile_(resolve_profile(config_)),
      clock_(clock),
      io_work_(io_.get_executor()) {
  buffer_ = SqliteBuffer::open(config_.storage, clock_);
  // The cloud's changes from earlier runs hold until it changes them again: every part is built
  // from the config with them.
  live_ = std::make_unique<LiveSettings>(config_);
  if (auto saved = buffer_->setting(kLiveSettingsKey)) live_->restore(*saved);
  config_ = live_->config();
  ingest_ = std::make_unique<Ingest>(*buffer_, clock_, config_.ingest.max_future_s * 1000,
                                     config_.ingest.max_past_days * 86'400'000, config_.rules);
  build_adapters(hardware);
  adapter_series_ids_ = register_series(*buffer_, *ingest_, config_.series, adapters_);
  restore_calibrations(*buffer_, adapters_);
  ingest_->set_adapter_up([this](const std::string& name) {
    for (const auto& adapter : adapters_) {
      if (adapter->name() == name) return adapter->health().up;
    }
    return false;  // no such adapter is running: as good as down
  });

  packer_ = std::make_unique<BundlePacker>(
      PackerOptions{
          .gateway_id = config_.gateway.gateway_id,
          .budget_bytes = profile_.payload_budget_bytes(),
          .encoding =
              parse_bundle_encoding(config_.bundle.encoding).value_or(BundleEncoding::proto)},
      buffer_->catalog());
  transport_ = make_transport();
  tally_ = std::make_unique<billing::BillingTally>(
      profile_.metering, naive_message_bytes(buffer_->catalog(), clock_.wall_ms()),
      profile_.telemetry_topic);
  uplink_ = std::make_unique<Uplink>(
      *buffer_, *packer_, *transport_, clock_,
      Uplink::Options{.telemetry_topic = profile_.telemetry_topic,
                      .alarm_topic = profile_.alarm_topic,
                      .inflight_window = static_cast<std::size_t>(config_.uplink.inflight_window),
                      .alarm_window = 16,
                      .max_latency = std::chrono::seconds(config_.bundle.max_latency_s),
                      .max_publishes_per_s = profile_.max_publishes_per_s,
                      .max_bytes_per_s = profile_.max_bytes_per_s,
                      .refused_retry = std::chrono::seconds(config_.uplink.refused_retry_s)},
      bill_publishes_to(*tally_),
      [this](std::int64_t alarm_id) { ingest_->alarm_board().published(alarm_id); });
  ingest_->set_alarm_listener([this] { uplink_->alarm_raised(); });
  listen_for_commands();
  renew_certificate();
  wire_live_settings();
  sync_state();
  take_jobs();
  if (renewal_ || state_ || jobs_) {
    uplink_->set_connection_hook([this](bool up) { cloud_connection_changed(up); });
  }
  status_ = std::make_unique<StatusCollector>(config_, profile_, clock_,
                                              StatusSources{.buffer = *buffer_,
                                                            .ingest = *ingest_,
                                                            .uplink = *uplink_,
                                                            .tally = *tally_,
                                                            .adapters = adapters_,
                                                            .commands = commands_.get(),
                                                            .renewal = renewal_.get(),
                                                            .state_sync = state_.get(),
                                                            .jobs = jobs_.get(),
                                                            .method_jobs = method_jobs_.get()});
  local_api_ =
      std::make_unique<LocalApi>(*live_, *buffer_, *ingest_, *uplink_, adapters_, *status_, [this] {
        if (state_) {
          boost::asio::post(io_, [this] { state_->report_soon(); });
        }
      });
  api::ApiAuth auth = api::load_api_auth(config_.api);
  if (!auth.token) {
    spdlog::warn(
        "api: api.token_file is not set; every route, mutating ones included, is open "
        "to anyone who can reach {}",
        config_.api.listen);
  }
  api_ = std::make_unique<api::HttpServer>(
      io_,
      api::make_api_router(*local_api_, {.auth = std::move(auth),
                                         .uplink_is_mqtt = config_.uplink.directory.empty()}),
      api::server_options(config_.api));
}

Gateway::~Gateway() {
  stop();
}

std::unique_ptr<Transport> Gateway::make_transport() {
  if (!config_.uplink.directory.empty()) {
    return std::make_unique<DirectoryTransport>(config_.uplink.directory);
  }
  return std::make_unique<MqttTransport>(profile_, io_, clock_);
}

void Gateway::build_adapters(const AdapterHardware& hardware) {
  for (const auto& adapter_config : config_.adapters) {
    OptionErrors errors;
    auto adapter = create_adapter(adapter_config.type, adapter_config.values, adapter_config.lists,
                                  AdapterContext{clock_, hardware}, errors);
    if (!adapter) {
      throw ConfigError("adapter " + adapter_config.name + ": " +
                        (errors.empty() ? "cannot be built"
                                        : errors.front().first + " " + errors.front().second) +
                        "\n");
    }
    adapters_.push_back(std::move(adapter));
  }
}

void Gateway::listen_for_commands() {
  if (profile_.command_filter.empty()) return;
  commands_ = std::make_unique<cloud::CommandProcessor>(
      cloud::CommandOptions{.dialect = profile_.provider == "azure"
                                           ? cloud::CommandDialect::azure_methods
                                           : cloud::CommandDialect::topic_json,
                            .response_topic = profile_.response_topic},
      cloud::CommandActions{
          .status = [this] { return boost::json::value(status_document(status())); },
          .set_armed = [this](bool armed) { ingest_->set_armed(armed); },
          .flush = [this] { uplink_->request_flush(); },
          // On Azure jobs arrive as direct methods (take_jobs builds the runner).
          .run_job = jobs_enabled() && profile_.provider == "azure"
                         ? std::function<JobOutcome(const Job&)>(
                               [this](const Job& job) { return run_method_job(job); })
                         : nullptr},
      clock_);
  transport_->subscribe(profile_.command_filter, [this](const InboundMessage& message) {
    auto reply = commands_->handle(message);
    if (!reply) return;
    uplink_->publish_control(reply->topic, reply->payload);
    // The answer is queued first: the graceful stop sends it before the restart.
    if (reply->restart_after) restart_handler_();
  });
}

void Gateway::renew_certificate() {
  if (!config_.uplink.directory.empty()) return;
  auto settings = cloud::renewal_settings(config_);
  if (!settings) return;
  identity_store_ = std::make_unique<cloud::IdentityStore>(config_.identity.dir);
  if (profile_.provider == "azure") {
    certificate_issuer_ = std::make_unique<cloud::DpsCertificateIssuer>(
        config_, *identity_store_, clock_,
        [this](std::function<void()> task) { boost::asio::post(io_, std::move(task)); });
    renewal_ = std::make_unique<cloud::CertificateRenewal>(
        std::move(*settings), *identity_store_, *transport_, *certificate_issuer_, clock_);
  } else {
    renewal_ = std::make_unique<cloud::CertificateRenewal>(
        std::move(*settings), *identity_store_, *transport_,
        [this](const std::string& topic, const std::string& payload) {
          uplink_->publish_control(topic, payload);
        },
        clock_);
  }
  renewal_->subscribe();
  // poll() itself may change the step: the new deadline is taken after it returns.
  renewal_->on_change([this] { boost::asio::post(io_, [this] { poll_renewal(); }); });
}

void Gateway::wire_live_settings() {
  live_->set_targets(
      {.set_armed = [this](bool armed) { ingest_->set_armed(armed); },
       .set_max_latency =
           [this](std::chrono::milliseconds max_latency) { uplink_->set_max_latency(max_latency); },
       .set_log_level =
           [](const std::string& level) { spdlog::set_level(spdlog::level::from_str(level)); },
       .retune_adapter =
           [this](std::size_t index, const std::map<std::string, OptionValue>& values) {
             adapters_[index]->retune(values);
           },
       .retune_rule = [this](const rules::RuleOptions& rule) { ingest_->retune_rule(rule); },
       .persist =
           [this](const std::string& document) {
             buffer_->post([this, document] {
               if (!buffer_->store_setting(kLiveSettingsKey, document)) {
                 spdlog::error(
                     "settings: the cloud's change holds until a restart only: "
                     "storage refused it");
               }
             });
           }});
}

void Gateway::sync_state() {
  if (!config_.uplink.directory.empty() || !config_.shadow.enabled) return;
  cloud::StateDialect dialect;
  if (profile_.provider == "aws") {
    dialect = cloud::StateDialect::aws_shadow;
  } else if (profile_.provider == "azure") {
    dialect = cloud::StateDialect::azure_twin;
  } else {
    return;  // a generic broker has no shadow
  }
  state_ = std::make_unique<cloud::StateSync>(
      cloud::StateSyncOptions{
          .dialect = dialect,
          .thing_name = profile_.client_id,
          .min_report_interval = std::chrono::seconds(config_.shadow.min_report_interval_s),
          .report_interval = std::chrono::seconds(config_.shadow.report_interval_s)},
      [this](const boost::json::object& desired, std::int64_t version) {
        return live_->apply(desired, version);
      },
      [this] { return reported_state(); },
      [this](const std::string& topic, const std::string& payload) {
        uplink_->publish_control(topic, payload);
      },
      clock_);
  state_->subscribe(*transport_);
  state_->on_change([this] { boost::asio::post(io_, [this] { poll_state(); }); });
}

bool Gateway::jobs_enabled() const {
  return config_.uplink.directory.empty() && config_.jobs.enabled &&
         (profile_.provider == "aws" || profile_.provider == "azure");
}

bool Gateway::ready() const {
  return api::handle_readyz(status(), config_.uplink.directory.empty()).status == 200;
}

bool Gateway::event_loop_responds(std::chrono::milliseconds within) {
  auto answered = std::make_shared<std::promise<void>>();
  auto future = answered->get_future();
  boost::asio::post(io_, [answered] { answered->set_value(); });
  return future.wait_for(within) == std::future_status::ready;
}

JobOutcome Gateway::run_job(const Job& job) {
  JobOutcome outcome = job_runner_->run(job, jobs_cancelled_);
  if (outcome.restart && !restart_handler_) {
    outcome = job_refusal(JobStatus::failed, "this gateway cannot restart itself");
  }
  return outcome;
}

void Gateway::run_on_job_thread(const Job& job, std::function<void(JobOutcome)> then) {
  if (job_worker_.joinable()) job_worker_.join();  // it has posted its outcome already
  job_worker_ = std::thread([this, job, then = std::move(then)] {
    name_this_thread("job");
    auto outcome = std::make_shared<JobOutcome>(run_job(job));
    boost::asio::post(io_, [then, outcome] { then(std::move(*outcome)); });
  });
}

JobOutcome Gateway::run_method_job(const Job& job) {
  if (job.operation() != "update-software") {
    JobOutcome outcome = run_job(job);
    // A restart follows the answer (CommandReply::restart_after); the next process records it.
    if (!outcome.restart || !keep_over_restart(job, outcome)) {
      method_jobs_->finish(job.id, job.operation(), outcome);
    }
    return outcome;
  }
  // A direct method is answered within its call; a download does not fit in one.
  if (!method_jobs_->start(job)) {
    return job_refusal(JobStatus::rejected,
                       "job " + method_jobs_->status().current + " is running; one job at a time");
  }
  run_on_job_thread(
      job, [this, job](JobOutcome outcome) { method_job_finished(job, std::move(outcome)); });
  return {.status = JobStatus::in_progress,
          .details = {{"running", "job " + job.id +
                                      ": see jobs in /api/v1/status and the twin's "
                                      "reported status.last_job"}},
          .restart = false,
          .release = std::nullopt};
}

bool Gateway::keep_over_restart(const Job& job, JobOutcome& outcome) {
  try {
    write_pending_job(pending_job_file(config_.jobs.dir),
                      {.job_id = job.id, .operation = job.operation(), .outcome = outcome});
    spdlog::info("jobs: job {} restarts the gateway; its end is on record after the restart",
                 job.id);
    return true;
  } catch (const std::exception& error) {
    outcome = job_refusal(JobStatus::failed,
                          std::string("cannot record the job before restarting: ") + error.what());
    return false;
  }
}

void Gateway::method_job_finished(const Job& job, JobOutcome outcome) {
  if (outcome.restart && keep_over_restart(job, outcome)) {
    restart_handler_();
    return;
  }
  spdlog::info("jobs: job {} ({}) {}", job.id, job.operation(), job_status_name(outcome.status));
  method_jobs_->finish(job.id, job.operation(), outcome);
  if (state_) state_->report_soon();
}

void Gateway::take_restarted_method_job() {
  const auto file = pending_job_file(config_.jobs.dir);
  try {
    const auto pending = read_pending_job(file);
    if (!pending) return;
    spdlog::info("jobs: job {} ({}) {} across the restart", pending->job_id, pending->operation,
                 job_status_name(pending->outcome.status));
    method_jobs_->finish(pending->job_id, pending->operation, pending->outcome);
  } catch (const std::exception& error) {
    spdlog::error("jobs: {} cannot be read ({}); removed", file.string(), error.what());
  }
  std::error_code ignored;
  std::filesystem::remove(file, ignored);
}

void Gateway::take_jobs() {
  if (!jobs_enabled()) return;
  std::optional<SignatureKey> key;
  if (!config_.jobs.public_key_file.empty()) {
    try {
      key = SignatureKey::load(config_.jobs.public_key_file);
    } catch (const std::exception& error) {
      throw ConfigError(std::string("jobs.public_key_file: ") + error.what() + "\n");
    }
  }
  job_runner_ = std::make_unique<JobRunner>(config_, std::move(key), *live_);
  if (profile_.provider != "aws") {  // Azure: direct methods (listen_for_commands)
    method_jobs_ = std::make_unique<MethodJobLedger>();
    take_restarted_method_job();
    return;
  }
  jobs_ = std::make_unique<JobAgent>(
      JobAgentOptions{.thing_name = profile_.client_id,
                      .pending_file = pending_job_file(config_.jobs.dir)},
      [this](const Job& job, JobAgent::Done done) { run_on_job_thread(job, std::move(done)); },
      [this] { restart_handler_(); },
      [this](const std::string& topic, const std::string& payload) {
        uplink_->publish_control(topic, payload);
      },
      clock_);
  jobs_->subscribe(*transport_);
  jobs_->on_change([this] { boost::asio::post(io_, [this] { poll_jobs(); }); });
}

boost::json::object Gateway::reported_state() const {
  namespace json = boost::json;
  json::object document = live_->in_force();
  const GatewayStatus s = status();
  document["armed"] = s.armed;
  // Beside each adapter's live keys in force: whether it is up.
  if (!document["adapters"].is_object()) document["adapters"].emplace_object();
  json::object& adapters = document["adapters"].as_object();
  for (const auto& adapter : s.adapters) {
    if (!adapters[adapter.name].is_object()) adapters[adapter.name].emplace_object();
    adapters[adapter.name].as_object()["up"] = adapter.health.up;
  }
  document["status"] = json::object{
      {"version", s.version},
      {"uptime_s", s.uptime_s},
      {"buffer",
       json::object{{"readings", s.buffer.readings}, {"oldest_age_s", s.oldest_age_ms() / 1000}}},
      {"bundles_acked", s.bundles_acked},
      {"last_acked_bundle_seq", s.last_acked_bundle_seq}};
  if (method_jobs_) {
    // IoT Hub keeps no record of a direct method's job: the twin carries how the last ended.
    const JobsStatus jobs = method_jobs_->status();
    if (!jobs.last_job.empty()) {
      document["status"].as_object()["last_job"] =
          json::object{{"job_id", jobs.last_job},
                       {"operation", jobs.last_operation},
                       {"status", jobs.last_status},
                       {"details", status_details_json(jobs.last_details)}};
    }
  }
  return document;
}

void Gateway::cloud_connection_changed(bool up) {
  if (renewal_) {
    renewal_->connection_changed(up);
    poll_renewal();
  }
  if (state_) {
    state_->connection_changed(up);
    poll_state();
  }
  if (jobs_) {
    jobs_->connection_changed(up);
    poll_jobs();
  }
}

void Gateway::poll_state() {
  poll_until(state_timer_, [this] { return state_->poll(); });
}

void Gateway::poll_jobs() {
  poll_until(jobs_timer_, [this] { return jobs_->poll(); });
}

void Gateway::poll_renewal() {
  poll_until(renewal_timer_, [this] { return renewal_->poll(); });
}

void Gateway::poll_until(boost::asio::steady_timer& timer,
                         std::function<std::chrono::steady_clock::time_point()> poll) {
  const auto wake = poll();
  timer.expires_after(wake - clock_.monotonic());
  timer.async_wait([this, &timer, poll = std::move(poll)](const boost::system::error_code& error) {
    if (!error) poll_until(timer, poll);
  });
}

void Gateway::start() {
  if (started_) return;
  started_ = true;
  api_->start();  // throws here, before anything runs, if the address cannot be bound
  if (ingest_->ticks_needed()) schedule_rule_tick();
  if (renewal_) boost::asio::post(io_, [this] { poll_renewal(); });
  io_thread_ = std::thread([this] {
    name_this_thread("io");
    io_.run();
  });
  uplink_->start();
  for (std::size_t i = 0; i < adapters_.size(); ++i) {
    adapters_[i]->start(*ingest_, adapter_series_ids_[i]);
    spdlog::info("adapter {} started ({} series)", adapters_[i]->name(),
                 adapter_series_ids_[i].size());
  }
}

void Gateway::schedule_rule_tick() {
  rule_tick_.expires_after(kRuleTick);
  rule_tick_.async_wait([this](const boost::system::error_code& error) {
    if (error) return;  // cancelled: stopping
    ingest_->tick();
    schedule_rule_tick();
  });
}

void Gateway::stop() {
  if (!started_) return;
  started_ = false;
  for (auto& adapter : adapters_) adapter->stop();
  api_->stop();
  jobs_cancelled_ = true;  // a download stops within a fraction of a second
  if (job_worker_.joinable()) job_worker_.join();
  // The rule tick's timer belongs to the io_context thread; cancelled there, not from here.
  boost::asio::post(io_, [this] {
    rule_tick_.cancel();
    renewal_timer_.cancel();
    state_timer_.cancel();
    jobs_timer_.cancel();
  });
  buffer_->wait_for_queued_appends();
  uplink_->stop();
  io_work_.reset();
  io_.stop();
  io_thread_.join();
}

}  // namespace edgegw
