#pragma once

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "adapters/adapter.h"
#include "adapters/adapter_context.h"
#include "gateway/api/api_backend.h"
#include "gateway/api/http_server.h"
#include "gateway/billing/cost_model.h"
#include "gateway/cloud/certificate_renewal.h"
#include "gateway/cloud/commands.h"
#include "gateway/cloud/identity_store.h"
#include "gateway/cloud/state_sync.h"
#include "gateway/config/config.h"
#include "gateway/ingest/ingest.h"
#include "gateway/jobs/job_agent.h"
#include "gateway/jobs/job_runner.h"
#include "gateway/jobs/method_job_ledger.h"
#include "gateway/live_settings.h"
#include "gateway/local_api.h"
#include "gateway/model/clock.h"
#include "gateway/status.h"
#include "gateway/status_collector.h"
#include "gateway/uplink/cloud_profile.h"
#include "gateway/uplink/transport.h"
#include "gateway/uplink/uplink.h"
#include "proto/bundle_packer.h"
#include "storage/sqlite_buffer.h"

namespace edgegw {

/// The daemon's components, wired in the order data flows through them:
/// adapters → ingest → buffer → uplink → transport, and the command processor and the local
/// API beside them. It only wires; each part is tested on its own. One io_context thread runs
/// the transport's timers and callbacks and the API; the uplink and the storage have threads of
/// their own, so the io_context never waits for SQLite.
class Gateway final {
 public:
  /// Opens the buffer and builds every component, the adapters on `hardware` (tests pass
  /// fakes). Throws on a config the gateway cannot run with (StorageError, ConfigError).
  Gateway(GatewayConfig config, Clock& clock, AdapterHardware hardware = system_hardware());
  ~Gateway();

  void start();
  /// Stops the adapters first so nothing new arrives, then the uplink and the io_context;
  /// accepted readings and in-flight bundles stay in the buffer for the next start.
  void stop();

  /// Stores an alarm and publishes it ahead of all telemetry.
  void raise_alarm(Alarm alarm) { ingest_->raise_alarm(std::move(alarm)); }

  GatewayStatus status() const { return status_->collect(); }
  /// One line for the log: what came in, what is waiting, what went out and what it cost.
  std::string status_line() const { return status_->line(); }
  /// What the local API serves, for tests that skip HTTP.
  api::ApiBackend& api() { return *local_api_; }
  /// Closes the open bundle now.
  void flush() { uplink_->request_flush(); }
  /// The config file as read again (SIGHUP): what can change live is applied; returns what
  /// needs a restart, by path, which is not.
  std::vector<std::string> reload(const GatewayConfig& file) { return live_->reload(file); }

  /// What a restart job does once its status is kept: the daemon stops this gateway and starts
  /// again (main re-executes itself). Without one a restart job fails. Before start().
  void set_restart_handler(std::function<void()> handler) { restart_handler_ = std::move(handler); }

  /// What /readyz says: the buffer writable and, with an MQTT uplink, connected.
  bool ready() const;
  /// Whether the event loop (the cloud connection's callbacks, the API) runs a task posted
  /// to it within `within`: what the systemd watchdog vouches for.
  bool event_loop_responds(std::chrono::milliseconds within);

  /// The port the API listens on (useful when the config asked for port 0).
  std::uint16_t api_port() const { return api_->port(); }

  SqliteBuffer& buffer() { return *buffer_; }
  Ingest& ingest() { return *ingest_; }

 private:
  void build_adapters(const AdapterHardware& hardware);
  std::unique_ptr<Transport> make_transport();
  /// Subscribes the command processor to the provider's command topic.
  void listen_for_commands();
  /// Sets up the renewal of the device certificate, when the config has it on.
  void renew_certificate();
  /// Sets up the shadow (AWS) or twin (Azure) sync, when the config has it on.
  void sync_state();
  /// Sets up remote jobs, when the config has them on: AWS IoT Jobs, or on Azure the runner the
  /// direct methods use.
  void take_jobs();
  bool jobs_enabled() const;
  /// Runs a job from either; AWS jobs on job_worker_, as a download takes its time.
  JobOutcome run_job(const Job& job);
  /// Runs the job on job_worker_ (one at a time) and `then` with its outcome on the io thread.
  void run_on_job_thread(const Job& job, std::function<void(JobOutcome)> then);
  /// An Azure direct method's job (io thread): update-software goes on on job_worker_ after
  /// the answer (IN_PROGRESS), the others run at once.
  JobOutcome run_method_job(const Job& job);
  /// A background method job ended (io thread): on record, or kept over the restart it asks.
  void method_job_finished(const Job& job, JobOutcome outcome);
  /// Writes pending.json for a method job that ends in a restart; false (and `outcome` FAILED
  /// with the reason) when it cannot.
  bool keep_over_restart(const Job& job, JobOutcome& outcome);
  /// The method job a restart finished, from pending.json, goes on record.
  void take_restarted_method_job();
  /// Where live changes of the settings go.
  void wire_live_settings();
  /// The reported state: the live settings in force, armed, adapters, buffer, uplink.
  boost::json::object reported_state() const;
  /// The cloud connection came up or went down (io thread).
  void cloud_connection_changed(bool up);
  /// Lets the renewal or the sync act and sets its timer for when it wants to act next (io
  /// thread).
  void poll_renewal();
  void poll_state();
  void poll_jobs();
  /// Calls `poll` now and again at the time it returns, on `timer` (io thread).
  void poll_until(boost::asio::steady_timer& timer,
                  std::function<std::chrono::steady_clock::time_point()> poll);
  /// Time-based rules (stale series, offline adapters) look at the clock once a second.
  void schedule_rule_tick();
  static constexpr std::chrono::seconds kRuleTick{1};

  GatewayConfig config_;  // the file's, with the live changes kept from earlier runs
  std::unique_ptr<LiveSettings> live_;
  CloudProfile profile_;  // the provider's rules resolved once: endpoint, topics, unit, limits
  Clock& clock_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> io_work_;
  std::thread io_thread_;
  boost::asio::steady_timer rule_tick_{io_};
  std::unique_ptr<SqliteBuffer> buffer_;
  std::unique_ptr<Ingest> ingest_;
  std::vector<std::unique_ptr<Adapter>> adapters_;
  std::vector<std::vector<SeriesId>> adapter_series_ids_;
  std::unique_ptr<BundlePacker> packer_;
  std::unique_ptr<Transport> transport_;
  std::unique_ptr<billing::BillingTally> tally_;
  std::unique_ptr<Uplink> uplink_;
  std::unique_ptr<cloud::CommandProcessor> commands_;     // null when commands are off
  std::unique_ptr<cloud::IdentityStore> identity_store_;  // with renewal_
  // Azure's renewal asks DPS on a thread of its own, which posts to io_: destroyed before it.
  std::unique_ptr<cloud::CertificateIssuer> certificate_issuer_;
  std::unique_ptr<cloud::CertificateRenewal> renewal_;  // null when renewal is off
  boost::asio::steady_timer renewal_timer_{io_};
  std::unique_ptr<cloud::StateSync> state_;  // null when the sync is off
  boost::asio::steady_timer state_timer_{io_};
  std::unique_ptr<JobRunner> job_runner_;         // with jobs_
  std::unique_ptr<JobAgent> jobs_;                // null when jobs are off or on Azure
  std::unique_ptr<MethodJobLedger> method_jobs_;  // Azure, with job_runner_
  boost::asio::steady_timer jobs_timer_{io_};
  std::thread job_worker_;  // the AWS job running, one at a time
  std::atomic<bool> jobs_cancelled_{false};
  std::function<void()> restart_handler_;
  std::unique_ptr<StatusCollector> status_;
  std::unique_ptr<LocalApi> local_api_;
  std::unique_ptr<api::HttpServer> api_;
  bool started_ = false;
};

}  // namespace edgegw
