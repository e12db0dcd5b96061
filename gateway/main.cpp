// edgegw: the command line. Each subcommand only parses its flags and calls into the
// libraries; the logic lives (and is tested) there.
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <iostream>
#include <iterator>
#include <thread>

#include "gateway/api/health_probe.h"
#include "gateway/cloud/identity_store.h"
#include "gateway/cloud/provisioning.h"
#include "gateway/cloud/stored_identity.h"
#include "gateway/config/config.h"
#include "gateway/config/config_warnings.h"
#include "gateway/cost_report.h"
#include "gateway/durable_file.h"
#include "gateway/gateway.h"
#include "gateway/jobs/job_config.h"
#include "gateway/jobs/software_update.h"
#include "gateway/service_notifier.h"
#include "gateway/uplink/cloud_profile.h"
#include "proto/bundle_decoder.h"
#include "proto/bundle_packer.h"

namespace {

using namespace edgegw;

constexpr std::chrono::seconds kStatusInterval{5};
/// How often a release on trial asks itself whether it is ready.
constexpr std::chrono::milliseconds kTrialReadyPoll{250};

enum class Signal { none, stop, reload, restart };

/// Waits up to `delay` for SIGINT or SIGTERM (stop), SIGHUP (reload) or SIGUSR2 (restart: a
/// restart job sends it to its own process), blocked in every thread.
Signal wait_for_signal(const sigset_t& signals, std::chrono::milliseconds delay) {
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(delay);
  const timespec timeout{
      .tv_sec = static_cast<time_t>(seconds.count()),
      .tv_nsec = static_cast<long>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(delay - seconds).count())};
  const int signal = sigtimedwait(&signals, nullptr, &timeout);
  if (signal == SIGINT || signal == SIGTERM) {
    spdlog::info("signal {}: stopping", signal);
    return Signal::stop;
  }
  if (signal == SIGUSR2) {
    spdlog::info("signal {}: restarting", signal);
    return Signal::restart;
  }
  return signal == SIGHUP ? Signal::reload : Signal::none;
}

/// SIGHUP: reads the config file in force again. A file that does not load is refused whole and the
/// running config stays; otherwise what can change live is applied and the rest is named as
/// needing a restart.
void reload_config(Gateway& gateway, const std::string& config_path) {
  GatewayConfig file;
  try {
    file = load_config_file(config_path);
  } catch (const ConfigError& error) {
    spdlog::error("reload: {} refused, the running config stays:\n{}", config_path, error.what());
    return;
  } catch (const std::exception& error) {
    spdlog::error("reload: {} refused, the running config stays: {}", config_path, error.what());
    return;
  }
  const auto restart = gateway.reload(file);
  for (const auto& path : restart) {
    spdlog::warn("reload: {} changed in the file; it takes a restart", path);
  }
  spdlog::info("reload: {} read again{}", config_path,
               restart.empty() ? "" : "; some changes wait for a restart");
}

/// Runs the gateway until SIGINT or SIGTERM. A restart (a restart job, a config job whose
/// changes cannot apply live, SIGUSR2) stops it the same graceful way and executes the gateway
/// again with the same arguments, in the same process, so a supervisor sees no exit; after an
/// update-software job the new release first runs on trial (run_release_trial).
int run_daemon(const std::string& file_path, char** argv) {
  // Set when this process is a release on trial: it reports ready and runs no jobs.
  std::optional<int> trial_ready = take_trial_ready_fd();
  const bool on_trial = trial_ready.has_value();
  ConfigInForce in_force = load_config_in_force(file_path);
  GatewayConfig config = std::move(in_force.config);
  const std::string config_path = in_force.path;
  spdlog::set_level(spdlog::level::from_str(config.gateway.log_level));
  // Every line out at once: under systemd or a pipe stdout is block-buffered, and a crash
  // must not take the last lines with it.
  spdlog::flush_on(spdlog::level::trace);
  for (const auto& warning : config_warnings(config)) spdlog::warn("config: {}", warning);

  // Block the signals before any thread starts, so every thread inherits the mask and only
  // wait_for_signal() ever sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  sigaddset(&signals, SIGUSR2);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  SystemClock clock;
  if (cloud::needs_provisioning(config)) {
    // A signal is seen between attempts; one attempt lasts at most a few provisioning.timeout_s.
    const auto identity = cloud::provision(config, clock, 0, [&](std::chrono::milliseconds delay) {
      // A SIGHUP before there is a gateway to reload: the config is read after provisioning.
      return wait_for_signal(signals, delay) != Signal::stop;
    });
    if (!identity) return 0;
    // The thing's name, certificate and key now come from the stored identity.
    config = load_config_file(config_path);
  }
  const JobOptions jobs = config.jobs;
  if (on_trial) {
    // The job stays the old release's to report, whichever way the trial goes.
    config.jobs.enabled = false;
    spdlog::info("on trial: this release reports ready to the one that started it; no jobs");
  } else {
    abandon_interrupted_trial(jobs);
  }
  const ServiceNotifier systemd;
  Signal signal = Signal::none;
  {
    Gateway gateway(std::move(config), clock);
    gateway.set_restart_handler([] { kill(getpid(), SIGUSR2); });
    gateway.start();
    spdlog::info("edgegw {} running; Ctrl-C stops it", EDGEGW_VERSION);
    systemd.ready("running");
    using std::chrono::steady_clock;
    auto next_status_line = steady_clock::now() + kStatusInterval;
    auto next_watchdog = steady_clock::now();
    auto wait = std::chrono::milliseconds(kStatusInterval);
    if (trial_ready) wait = kTrialReadyPoll;
    if (systemd.watchdog_interval()) wait = std::min(wait, *systemd.watchdog_interval());
    while ((signal = wait_for_signal(signals, wait)) != Signal::stop && signal != Signal::restart) {
      if (signal == Signal::reload) {
        systemd.reloading("reloading the config");
        reload_config(gateway, config_path);
        systemd.ready("running");
      }
      if (trial_ready && gateway.ready()) {
        report_trial_ready(*trial_ready);
        trial_ready.reset();
        spdlog::info("on trial: ready, reported");
      }
      const auto now = steady_clock::now();
      if (systemd.watchdog_interval() && now >= next_watchdog) {
        // A stuck event loop goes unpinged, and systemd restarts the gateway.
        if (gateway.event_loop_responds(*systemd.watchdog_interval() / 2)) systemd.watchdog();
        next_watchdog = now + *systemd.watchdog_interval();
      }
      if (now >= next_status_line) {
        const std::string line = gateway.status_line();
        spdlog::info("{}", line);
        systemd.status(line);
        next_status_line = now + kStatusInterval;
      }
    }
    // A restart executes again in this process: to systemd that is a reload, which the new
    // start's READY=1 ends. STOPPING=1 would have it wait for an exit that never comes.
    if (signal == Signal::restart) {
      systemd.reloading("restarting");
    } else {
      systemd.stopping();
    }
    gateway.stop();
    spdlog::info("{}", gateway.status_line());
  }  // the buffer is closed and every socket with it
  if (signal != Signal::restart) return 0;
  if (!on_trial && !run_release_trial(jobs, argv, signals, [&] { systemd.watchdog(); })) {
    return 0;
  }
  const std::string executable = restart_executable(jobs);
  execv(executable.c_str(), argv);
  spdlog::error("restart: cannot execute {}: {}", executable, std::strerror(errno));
  return 1;
}

int check_config(const std::string& path) {
  GatewayConfig config = load_config_file(path);
  // Warnings do not fail the check: a rule may be waiting for an adapter still to be wired.
  for (const auto& warning : config_warnings(config))
    std::cout << path << ": warning: " << warning << "\n";
  const std::string gateway = config.gateway.gateway_id.empty()
                                  ? "not provisioned yet"
                                  : "gateway " + config.gateway.gateway_id;
  std::cout << path << ": ok (" << gateway << ", " << config.adapters.size()
            << " adapter(s), bundle budget "
            << resolve_profile(cloud::as_provisioned(config)).payload_budget_bytes() << " bytes)\n";
  return 0;
}

int keygen(const std::string& config_path, std::string name) {
  GatewayConfig config = load_config_file(config_path, ConfigPurpose::identity_setup);
  if (name.empty()) name = config.gateway.gateway_id;
  if (name.empty() && config.provisioning) name = provisioning_serial(*config.provisioning);
  if (name.empty()) {
    std::cerr << "edgegw keygen: name the CSR with --name (no gateway_id in the config)\n";
    return 1;
  }
  cloud::IdentityStore store(config.identity.dir);
  // The table admits only the names parse_key_type knows.
  const bool made = store.ensure_key(*cloud::parse_key_type(config.identity.key_type));
  store.write_csr(name);
  std::cout << "device key: " << store.key_file().string()
            << (made ? " (made now, " + config.identity.key_type + ")" : " (kept)")
            << "; it never leaves this device\n"
            << "CSR for CN=" << name << ": " << store.csr_file().string() << "\n";
  return 0;
}

int install_certificate(const std::string& config_path, const std::string& certificate_file,
                        const std::string& thing_name, bool jitp) {
  GatewayConfig config = load_config_file(config_path, ConfigPurpose::identity_setup);
  const std::string pem = read_text_file(certificate_file);
  const cloud::IdentityStore store(config.identity.dir);
  SystemClock clock;
  const auto identity =
      store.install_certificate(pem, thing_name, jitp ? "jitp" : "manual", clock.wall_ms());
  std::cout << "installed: thing " << identity.thing_name << ", certificate "
            << store.certificate_file().string()
            << (jitp ? "; the first connection may be dropped while AWS registers it" : "") << "\n";
  return 0;
}

int provision(const std::string& config_path, int attempts) {
  GatewayConfig config = load_config_file(config_path);
  if (!config.provisioning) {
    std::cerr << config_path << ": no [provisioning] section; see docs/provisioning.md\n";
    return 1;
  }
  const cloud::IdentityStore store(config.identity.dir);
  if (!cloud::needs_provisioning(config)) {
    std::cout << "already provisioned as " << store.load()->thing_name << " ("
              << store.identity_file().string() << ")\n";
    return 0;
  }
  SystemClock clock;
  const auto identity =
      cloud::provision(config, clock, attempts, [](std::chrono::milliseconds delay) {
        std::this_thread::sleep_for(delay);
        return true;
      });
  std::cout << "provisioned as thing " << identity->thing_name << " of " << identity->endpoint
            << "; "
            << (identity->credential == "sas"
                    ? "symmetric key " + store.symmetric_key_file().string()
                    : "certificate " + store.certificate_file().string() + ", key " +
                          store.key_file().string())
            << "\n";
  return 0;
}

int healthcheck(const std::string& config_path, int timeout_s) {
  // identity_setup: the probe needs [api] only, and a gateway still provisioning answers too.
  const GatewayConfig config = load_config_file(config_path, ConfigPurpose::identity_setup);
  const auto result = api::probe_health(config.api, std::chrono::seconds(timeout_s));
  (result.healthy ? std::cout : std::cerr) << "healthcheck: " << result.detail << "\n";
  return result.healthy ? 0 : 1;
}

int decode_stdin() {
  std::string payload((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  std::cout << bundle_to_json(decode_bundle(payload)) << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "edgegw: an edge IoT gateway. Reads sensors, keeps every reading in SQLite until the "
      "cloud has acknowledged it, and packs readings into bundles that fill the cloud's "
      "billing unit."};
  app.set_version_flag("--version", std::string("edgegw ") + EDGEGW_VERSION);
  app.require_subcommand(1);

  // One subcommand runs, so they all take their --config into one string.
  std::string config_path;
  auto require_config = [&](CLI::App* command) {
    command->add_option("--config,-c", config_path, "Config file (TOML); see docs/config.md.")
        ->required()
        ->check(CLI::ExistingFile);
  };
  auto* run = app.add_subcommand(
      "run",
      "Run the gateway daemon until SIGINT or SIGTERM; SIGHUP reads the config file again, "
      "SIGUSR2 restarts it in place. A config delivered by an update-config job ([jobs] dir) "
      "runs in place of the file.");
  require_config(run);

  std::string check_path;
  auto* check = app.add_subcommand(
      "check-config", "Validate a config file; prints every problem with its line, exit 1 if any.");
  check->add_option("file", check_path, "Config file (TOML).")->required();

  std::string keygen_name;
  auto* keygen_command = app.add_subcommand(
      "keygen",
      "Make the device's private key on this device ([identity] dir, 0600; an existing key is "
      "kept) and a certificate signing request for it, to be signed by the cloud or your CA.");
  require_config(keygen_command);
  keygen_command->add_option("--name", keygen_name, "The CSR's common name (default: gateway_id).");

  std::string install_file;
  std::string install_thing;
  bool install_jitp = false;
  auto* install_command = app.add_subcommand(
      "install-certificate",
      "Store a certificate issued for this device's key (your CA signed the CSR from `edgegw "
      "keygen`) as the device's identity in [identity] dir; the gateway then connects with it.");
  require_config(install_command);
  install_command->add_option("certificate", install_file, "The certificate (PEM).")
      ->required()
      ->check(CLI::ExistingFile);
  install_command->add_option("--thing", install_thing,
                              "The thing or device name (default: the certificate's CN).");
  install_command->add_flag(
      "--jitp", install_jitp,
      "The CA is registered with AWS IoT for just-in-time provisioning or registration: the "
      "first connection is then expected to be dropped while AWS registers the certificate.");

  int provision_attempts = 1;
  auto* provision_command = app.add_subcommand(
      "provision",
      "Get this device its identity from the cloud with the batch's claim certificate "
      "([provisioning]; AWS fleet provisioning by claim), store it in [identity] dir and exit. "
      "`edgegw run` does the same at start, retrying until it succeeds.");
  require_config(provision_command);
  provision_command
      ->add_option("--attempts", provision_attempts,
                   "Attempts before giving up (default 1; 0: until it succeeds), waiting between "
                   "them per provisioning.retry_min_s and retry_max_s.")
      ->check(CLI::NonNegativeNumber);

  int healthcheck_timeout_s = 3;
  auto* healthcheck_command = app.add_subcommand(
      "healthcheck",
      "Ask the running gateway's API (the config's [api] listen) for /healthz: exit 0 if it "
      "answers 200, 1 otherwise. The container image's HEALTHCHECK runs it.");
  require_config(healthcheck_command);
  healthcheck_command
      ->add_option("--timeout-s", healthcheck_timeout_s, "Seconds to wait for the answer (3).")
      ->check(CLI::PositiveNumber);

  app.add_subcommand("decode",
                     "Read one bundle (binary) on stdin and print it as JSON: gateway_id, "
                     "bundle_seq and every reading as {series, ts_ms, value}.");

  app.add_subcommand("config-reference",
                     "Print every config key with its type, default and meaning (Markdown).");

  CostRequest cost_request;
  auto* cost = app.add_subcommand(
      "cost",
      "Estimate billable messages per day and month and their cost on AWS IoT Core and Azure "
      "IoT Hub, bundled versus one reading per message.");
  cost->add_option("--config,-c", cost_request.config_path,
                   "Take the reading rate and bundle settings from this config's adapters.");
  cost->add_option("--rates", cost_request.readings_per_second,
                   "Total readings per second, instead of a config.");
  cost->add_option("--devices", cost_request.devices, "Number of gateways (default 1).");

  CLI11_PARSE(app, argc, argv);

  try {
    if (*run) return run_daemon(config_path, argv);
    if (*check) return check_config(check_path);
    if (*keygen_command) return keygen(config_path, keygen_name);
    if (*provision_command) return provision(config_path, provision_attempts);
    if (*install_command) {
      return install_certificate(config_path, install_file, install_thing, install_jitp);
    }
    if (*healthcheck_command) return healthcheck(config_path, healthcheck_timeout_s);
    if (app.got_subcommand("decode")) return decode_stdin();
    if (app.got_subcommand("config-reference")) {
      std::cout << render_config_reference();
      return 0;
    }
    if (*cost) {
      std::cout << render_cost_report(cost_request);
      return 0;
    }
  } catch (const ConfigError& error) {
    std::cerr << error.what();
    return 1;
  } catch (const std::exception& error) {
    std::cerr << "edgegw: " << error.what() << "\n";
    return 1;
  }
  return 0;
}
