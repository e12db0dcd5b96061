#pragma once

#include <signal.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "gateway/jobs/job.h"
#include "gateway/jobs/job_options.h"
#include "gateway/jobs/signature.h"

namespace edgegw {

/// A systemd install that update-software can change: <install_dir>/releases/<version>/ holds
/// each release (bin/edgegw and whatever its archive holds), and <install_dir>/current links
/// to the one that runs (ExecStart=<install_dir>/current/bin/edgegw).
struct ReleaseLayout {
  std::filesystem::path root;

  std::filesystem::path current_link() const { return root / "current"; }
  std::filesystem::path releases() const { return root / "releases"; }
  std::filesystem::path release(const std::string& version) const { return releases() / version; }
  std::filesystem::path binary(const std::string& version) const {
    return release(version) / "bin" / "edgegw";
  }
  /// The version `current` links to, or nothing when it is not a link into releases/.
  std::optional<std::string> current_version() const;
};

/// The update-software job: {"operation": "update-software", "version", "url" (https), "size"
/// (bytes), "sha256" (hex), "signature" (base64 Ed25519 of the artifact's bytes)}; the
/// artifact is a tar archive (gzip or xz or plain) holding bin/edgegw. Downloads it into
/// <jobs dir>/downloads (resumed where an earlier attempt stopped), checks its size, SHA-256
/// and signature, and unpacks it into releases/<version>; nothing of the running release
/// changes. The outcome asks for a restart with `release` set: the new release then gets its
/// trial (run_release_trial). Anything refused is FAILED or REJECTED with the reason.
/// Runs for as long as the download takes: call it off the event loop. `cancelled` stops it.
JobOutcome stage_release(const Job& job, const JobOptions& options, const SignatureKey* key,
                         const std::atomic<bool>& cancelled);

/// What the restart is to execute: <install_dir>/current/bin/edgegw when this process runs
/// from the install's releases, so a switched link takes effect; /proc/self/exe otherwise.
std::string restart_executable(const JobOptions& options);

/// The trial of a staged release (pending.json has its `release`), in the stopped gateway's
/// process before it executes again: the new binary runs as a child with the same arguments
/// and EDGEGW_TRIAL_FD set (its jobs are off). Once its /readyz verdict is ready (it writes
/// "ready" to that descriptor) it is stopped, `current` is switched to it atomically, the
/// release before the previous one is removed, and pending.json says SUCCEEDED. If it exits
/// or is not ready within jobs.ready_timeout_s it is killed and removed, and pending.json says
/// FAILED with the reason: the old release never stopped being `current`. A stop signal in
/// `stop_signals` ends the trial the same way and makes this return false (exit, do not
/// restart). Returns true otherwise, also when there was no trial to run. `keep_alive` is
/// called a few times a second meanwhile (the systemd watchdog's ping: this process still
/// watches).
bool run_release_trial(const JobOptions& options, char** argv, const sigset_t& stop_signals,
                       const std::function<void()>& keep_alive);

/// At start: a trial the process did not live to finish (a power cut, SIGKILL) is reported
/// FAILED and its release removed, so the job is not left waiting forever.
void abandon_interrupted_trial(const JobOptions& options);

/// In a trial run, the descriptor to report readiness on (EDGEGW_TRIAL_FD), taken out of the
/// environment so that nothing this process starts inherits it. The process is then bound to
/// die with its parent, the release that watches the trial.
std::optional<int> take_trial_ready_fd();

/// Writes "ready" and closes the descriptor.
void report_trial_ready(int fd);

}  // namespace edgegw
