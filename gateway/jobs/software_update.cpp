#include "gateway/jobs/software_update.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <poll.h>
#include <spawn.h>
#include <spdlog/spdlog.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <boost/json.hpp>
#include <cerrno>
#include <cstring>
#include <regex>
#include <thread>
#include <vector>

#include "gateway/durable_file.h"
#include "gateway/jobs/release_download.h"
#include "gateway/uplink/azure_sas.h"

extern char** environ;

namespace edgegw {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

constexpr const char* kTrialFdVariable = "EDGEGW_TRIAL_FD";
/// The descriptor number the trial child finds its readiness pipe on.
constexpr int kTrialFd = 3;
/// How long a release that is stopped (after its trial, or when it failed it) has to exit
/// before it is killed: its graceful stop drains the uplink for up to 3 s.
constexpr auto kTrialStopGrace = std::chrono::seconds(15);

/// The job document's fields, checked.
struct ReleaseJob {
  std::string version;
  std::string url;
  std::uint64_t size = 0;
  std::string sha256;
  std::string signature;  ///< raw bytes
};

/// Returns the reason the document is refused, or nothing.
std::optional<std::string> parse_release_job(const json::object& document, ReleaseJob& out) {
  auto text = [&](const char* key) -> std::optional<std::string> {
    const auto* value = document.if_contains(key);
    if (!value || !value->is_string()) return std::nullopt;
    return std::string(value->as_string());
  };
  const auto version = text("version");
  const auto url = text("url");
  const auto sha256 = text("sha256");
  const auto signature = text("signature");
  const auto* size = document.if_contains("size");
  if (!version || !url || !sha256 || !signature || !size || !size->is_number()) {
    return "the job document needs \"version\", \"url\" (https), \"size\" (bytes), \"sha256\" "
           "(hex) and \"signature\" (base64 Ed25519 of the artifact)";
  }
  // A folder name of its own under releases/: no path, no hidden or relative names.
  static const std::regex kVersion("[A-Za-z0-9][A-Za-z0-9._+-]{0,63}");
  if (!std::regex_match(*version, kVersion)) {
    return "\"version\" must be 1 to 64 of A-Z a-z 0-9 . _ + -, starting with a letter or digit";
  }
  static const std::regex kSha256("[0-9a-fA-F]{64}");
  if (!std::regex_match(*sha256, kSha256)) return "\"sha256\" must be 64 hex digits";
  boost::system::error_code error;
  const auto bytes = size->to_number<std::int64_t>(error);
  if (error || bytes <= 0) return "\"size\" must be a positive whole number of bytes";
  try {
    out.signature = base64_decode(*signature);
  } catch (const std::exception&) {
    return "\"signature\" is not base64";
  }
  out.version = *version;
  out.url = *url;
  out.size = static_cast<std::uint64_t>(bytes);
  out.sha256 = *sha256;
  std::transform(out.sha256.begin(), out.sha256.end(), out.sha256.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return std::nullopt;
}

std::string sha256_of_file(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error("cannot read " + path.string());
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  EVP_DigestInit_ex(context, EVP_sha256(), nullptr);
  std::array<char, 64 * 1024> chunk{};
  ssize_t got = 0;
  while ((got = ::read(fd, chunk.data(), chunk.size())) > 0) {
    EVP_DigestUpdate(context, chunk.data(), static_cast<std::size_t>(got));
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  EVP_DigestFinal_ex(context, digest.data(), &length);
  EVP_MD_CTX_free(context);
  ::close(fd);
  if (got < 0) throw std::runtime_error("cannot read " + path.string());
  std::string hex;
  static constexpr char kDigits[] = "0123456789abcdef";
  for (unsigned int i = 0; i < length; ++i) {
    hex += kDigits[digest[i] >> 4];
    hex += kDigits[digest[i] & 0xf];
  }
  return hex;
}

/// Ed25519 signs the message itself: the file is mapped rather than read into memory.
bool file_signature_verifies(const fs::path& path, const SignatureKey& key,
                             std::string_view signature) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat info {};
  bool good = false;
  if (::fstat(fd, &info) == 0 && info.st_size > 0) {
    const auto size = static_cast<std::size_t>(info.st_size);
    void* data = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (data != MAP_FAILED) {
      good = key.verifies(std::string_view(static_cast<const char*>(data), size), signature);
      ::munmap(data, size);
    }
  }
  ::close(fd);
  return good;
}

/// `strings` as exec wants them: pointers into them, then a null. They must outlive the result.
std::vector<char*> exec_vector(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& text : strings) out.push_back(text.data());
  out.push_back(nullptr);
  return out;
}

/// Runs tar to unpack `archive` into `into`; returns its complaint when it fails.
std::optional<std::string> unpack(const fs::path& archive, const fs::path& into) {
  const fs::path errors = into.parent_path() / (into.filename().string() + ".errors");
  std::vector<std::string> args{"tar",         "--extract",   "--file",         archive.string(),
                                "--directory", into.string(), "--no-same-owner"};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, errors.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  auto argv = exec_vector(args);
  pid_t pid = -1;
  const int spawned = posix_spawnp(&pid, "tar", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) return std::string("cannot run tar: ") + std::strerror(spawned);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  std::string complaint;
  try {
    complaint = read_text_file(errors);
  } catch (const std::exception&) {
    // no complaint written: the exit status says what there is
  }
  std::error_code ignored;
  fs::remove(errors, ignored);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return std::nullopt;
  return "tar: " + (complaint.empty() ? "exit " + std::to_string(WEXITSTATUS(status))
                                      : short_detail(complaint));
}

bool inside(const fs::path& path, const fs::path& folder) {
  const auto relative = path.lexically_normal().lexically_relative(folder.lexically_normal());
  return !relative.empty() && *relative.begin() != "..";
}

std::optional<PendingJob> read_pending(const JobOptions& options) {
  try {
    return read_pending_job(pending_job_file(options.dir));
  } catch (const std::exception& error) {
    spdlog::error("jobs: {} cannot be read: {}", pending_job_file(options.dir).string(),
                  error.what());
    return std::nullopt;
  }
}

/// Rewrites the record with the trial's verdict; the release no longer waits.
void settle_trial(const JobOptions& options, PendingJob pending, JobStatus status,
                  const std::string& reason) {
  const StagedRelease release = *pending.outcome.release;
  pending.outcome.release.reset();
  pending.outcome.status = status;
  pending.outcome.details = {{"version", release.version}, {"previous", release.previous}};
  if (!reason.empty()) pending.outcome.details["reason"] = short_detail(reason);
  if (status != JobStatus::succeeded) {
    std::error_code ignored;
    fs::remove_all(ReleaseLayout{options.install_dir}.release(release.version), ignored);
  }
  try {
    write_pending_job(pending_job_file(options.dir), pending);
  } catch (const std::exception& error) {
    spdlog::error("jobs: the verdict on release {} cannot be kept: {}", release.version,
                  error.what());
  }
  if (status == JobStatus::succeeded) {
    spdlog::info("jobs: release {} is current now (was {})", release.version, release.previous);
  } else {
    spdlog::error("jobs: release {} rolled back, {} runs: {}", release.version, release.previous,
                  reason);
  }
}

/// Points `current` at `version`: a new link renamed over the old one, so `current` is always
/// one release or the other.
void switch_current(const ReleaseLayout& layout, const std::string& version) {
  const fs::path next = layout.root / "current.next";
  std::error_code ignored;
  fs::remove(next, ignored);
  fs::create_symlink(fs::path("releases") / version, next);
  rename_durably(next, layout.current_link());
}

/// Keeps the release that runs and the one before it (to go back to by hand); the rest goes.
void prune_releases(const ReleaseLayout& layout, const StagedRelease& kept) {
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(layout.releases(), error)) {
    const std::string name = entry.path().filename().string();
    if (name == kept.version || name == kept.previous) continue;
    std::error_code ignored;
    fs::remove_all(entry.path(), ignored);
    spdlog::info("jobs: release {} removed", name);
  }
}

enum class Verdict { ready, exited, timed_out, stopped };

struct TrialRun {
  Verdict verdict = Verdict::timed_out;
  int exit_status = 0;
};

pid_t spawn_trial(const fs::path& binary, char** argv, int ready_fd) {
  std::vector<std::string> args{binary.string()};
  for (char** arg = argv + 1; *arg; ++arg) args.emplace_back(*arg);
  std::vector<std::string> environment;
  for (char** variable = environ; *variable; ++variable) {
    const std::string_view entry(*variable);
    // systemd hears from the main process only: the trial's readiness is the watcher's to tell.
    if (!entry.starts_with(kTrialFdVariable) && !entry.starts_with("NOTIFY_SOCKET=") &&
        !entry.starts_with("WATCHDOG_")) {
      environment.emplace_back(*variable);
    }
  }
  environment.push_back(std::string(kTrialFdVariable) + "=" + std::to_string(kTrialFd));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, ready_fd, kTrialFd);
  // The gateway blocks its signals for sigtimedwait; the release starts with none blocked.
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK);
  auto argv_pointers = exec_vector(args);
  auto environment_pointers = exec_vector(environment);
  pid_t pid = -1;
  const int spawned = posix_spawn(&pid, binary.c_str(), &actions, &attributes, argv_pointers.data(),
                                  environment_pointers.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (spawned != 0) {
    throw std::runtime_error("cannot run " + binary.string() + ": " + std::strerror(spawned));
  }
  return pid;
}

/// Waits for the child to say ready, to exit, for the deadline or for a stop signal.
TrialRun watch_trial(pid_t child, int ready_read, std::chrono::seconds timeout,
                     const sigset_t& signals, const std::function<void()>& keep_alive) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string said;
  bool pipe_open = true;
  while (std::chrono::steady_clock::now() < deadline) {
    keep_alive();
    if (pipe_open) {
      pollfd ready{.fd = ready_read, .events = POLLIN, .revents = 0};
      if (::poll(&ready, 1, 200) > 0) {
        std::array<char, 64> buffer{};
        const ssize_t got = ::read(ready_read, buffer.data(), buffer.size());
        if (got > 0) said.append(buffer.data(), static_cast<std::size_t>(got));
        if (got == 0) pipe_open = false;
        if (said.find("ready") != std::string::npos) return {Verdict::ready, 0};
      }
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    int status = 0;
    if (::waitpid(child, &status, WNOHANG) == child) return {Verdict::exited, status};
    const timespec now{0, 0};
    const int signal = sigtimedwait(&signals, nullptr, &now);
    if (signal == SIGTERM || signal == SIGINT) return {Verdict::stopped, 0};
  }
  return {Verdict::timed_out, 0};
}

/// SIGTERM, and SIGKILL if it has not exited within the grace.
void stop_child(pid_t child, const std::function<void()>& keep_alive) {
  ::kill(child, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + kTrialStopGrace;
  while (std::chrono::steady_clock::now() < deadline) {
    keep_alive();
    if (::waitpid(child, nullptr, WNOHANG) == child) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  spdlog::warn("jobs: the trial release did not stop in {} s; killed", kTrialStopGrace.count());
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
}

std::string describe_exit(int status) {
  if (WIFSIGNALED(status)) return "was killed by signal " + std::to_string(WTERMSIG(status));
  return "exited with status " + std::to_string(WEXITSTATUS(status));
}

}  // namespace

std::optional<std::string> ReleaseLayout::current_version() const {
  std::error_code error;
  const fs::path target = fs::read_symlink(current_link(), error);
  if (error) return std::nullopt;
  const fs::path absolute = target.is_absolute() ? target : root / target;
  if (!inside(absolute, releases())) return std::nullopt;
  const fs::path version = absolute.lexically_normal().lexically_relative(releases());
  if (std::distance(version.begin(), version.end()) != 1) return std::nullopt;
  return version.string();
}

JobOutcome stage_release(const Job& job, const JobOptions& options, const SignatureKey* key,
                         const std::atomic<bool>& cancelled) {
  if (!key) {
    return job_refusal(JobStatus::rejected,
                       "no [jobs] public_key_file: a release cannot be verified without it");
  }
  ReleaseJob release;
  if (const auto refused = parse_release_job(job.document, release)) {
    return job_refusal(JobStatus::failed, *refused);
  }
  const ReleaseLayout layout{options.install_dir};
  const auto previous = layout.current_version();
  if (!previous) {
    return job_refusal(JobStatus::rejected, layout.current_link().string() +
                                                " is not a link into " +
                                                layout.releases().string() +
                                                ": this gateway is not installed as releases "
                                                "(make install, docs/jobs.md)");
  }
  std::error_code error;
  const fs::path running = fs::read_symlink("/proc/self/exe", error);
  if (error || !inside(running, fs::weakly_canonical(layout.releases(), error))) {
    return job_refusal(JobStatus::rejected, "this gateway runs from " + running.string() +
                                                ", not from a release under " +
                                                layout.releases().string());
  }
  if (release.version == *previous) {
    return {.status = JobStatus::succeeded,
            .details = {{"version", release.version},
                        {"unchanged", "release " + release.version + " runs already"}},
            .restart = false,
            .release = std::nullopt};
  }
  const auto max_bytes = static_cast<std::uint64_t>(options.max_download_mb) * 1024 * 1024;
  if (release.size > max_bytes) {
    return job_refusal(JobStatus::failed, "the artifact is " + std::to_string(release.size) +
                                              " bytes; jobs.max_download_mb allows " +
                                              std::to_string(options.max_download_mb) + " MiB");
  }

  const fs::path downloads = fs::path(options.dir) / "downloads";
  const fs::path part = downloads / (release.sha256 + ".part");
  try {
    fs::create_directories(downloads);
    fs::permissions(downloads, fs::perms::owner_all);
    // Only this artifact's bytes are worth keeping: an earlier job's are dropped.
    for (const auto& entry : fs::directory_iterator(downloads)) {
      if (entry.path() != part) fs::remove_all(entry.path());
    }
  } catch (const std::exception& failure) {
    return job_refusal(JobStatus::failed,
                       std::string("cannot make room for the download: ") + failure.what());
  }
  spdlog::info("jobs: job {}: release {} ({} bytes) from {}", job.id, release.version, release.size,
               release.url);
  try {
    download_release({.url = release.url, .size = release.size, .part_file = part},
                     {.ca_file = options.download_ca_file}, cancelled);
  } catch (const DownloadError& failure) {
    // The bytes so far stay for the next attempt, unless they cannot be part of the file.
    return job_refusal(JobStatus::failed,
                       "download of " + release.url + " failed: " + failure.what());
  }
  auto refuse_artifact = [&](const std::string& reason) {
    std::error_code ignored;
    fs::remove(part, ignored);
    return job_refusal(JobStatus::failed, reason + "; nothing was switched");
  };
  const std::string digest = sha256_of_file(part);
  if (digest != release.sha256) {
    return refuse_artifact("corrupt download: the SHA-256 of the " + std::to_string(release.size) +
                           " bytes is " + digest + ", the job says " + release.sha256);
  }
  if (!file_signature_verifies(part, *key, release.signature)) {
    return refuse_artifact("the artifact's signature does not verify under [jobs] public_key_file");
  }

  const fs::path unpacking = layout.releases() / ("." + release.version + ".unpacking");
  fs::remove_all(unpacking, error);
  fs::create_directories(unpacking, error);
  if (error) return refuse_artifact("cannot make " + unpacking.string() + ": " + error.message());
  if (const auto complaint = unpack(part, unpacking)) {
    fs::remove_all(unpacking, error);
    return refuse_artifact("the artifact does not unpack: " + *complaint);
  }
  const fs::path binary = unpacking / "bin" / "edgegw";
  if (!fs::is_regular_file(binary) || ::access(binary.c_str(), X_OK) != 0) {
    fs::remove_all(unpacking, error);
    return refuse_artifact("the artifact holds no executable bin/edgegw");
  }
  fs::remove_all(layout.release(release.version), error);
  try {
    rename_durably(unpacking, layout.release(release.version));
  } catch (const std::exception& failure) {
    fs::remove_all(unpacking, error);
    return refuse_artifact(failure.what());
  }
  fs::remove(part, error);
  spdlog::info("jobs: release {} is in {}; it runs on trial after the restart", release.version,
               layout.release(release.version).string());
  return {.status = JobStatus::succeeded,
          .details = {{"version", release.version}, {"previous", *previous}},
          .restart = true,
          .release = StagedRelease{.version = release.version, .previous = *previous}};
}

std::string restart_executable(const JobOptions& options) {
  const ReleaseLayout layout{options.install_dir};
  std::error_code error;
  const fs::path running = fs::read_symlink("/proc/self/exe", error);
  const fs::path releases = fs::weakly_canonical(layout.releases(), error);
  if (!error && inside(running, releases) && layout.current_version()) {
    return (layout.current_link() / "bin" / "edgegw").string();
  }
  return "/proc/self/exe";
}

bool run_release_trial(const JobOptions& options, char** argv, const sigset_t& stop_signals,
                       const std::function<void()>& keep_alive) {
  auto pending = read_pending(options);
  if (!pending || !pending->outcome.release) return true;
  const StagedRelease release = *pending->outcome.release;
  const ReleaseLayout layout{options.install_dir};
  int pipe_ends[2];
  if (::pipe2(pipe_ends, O_CLOEXEC) != 0) {
    settle_trial(options, std::move(*pending), JobStatus::failed,
                 std::string("cannot make a pipe: ") + std::strerror(errno));
    return true;
  }
  pid_t child = -1;
  try {
    child = spawn_trial(layout.binary(release.version), argv, pipe_ends[1]);
  } catch (const std::exception& error) {
    ::close(pipe_ends[0]);
    ::close(pipe_ends[1]);
    settle_trial(options, std::move(*pending), JobStatus::failed, error.what());
    return true;
  }
  ::close(pipe_ends[1]);
  spdlog::info("jobs: release {} on trial (pid {}): it has {} s to report ready", release.version,
               child, options.ready_timeout_s);
  const TrialRun run = watch_trial(
      child, pipe_ends[0], std::chrono::seconds(options.ready_timeout_s), stop_signals, keep_alive);
  ::close(pipe_ends[0]);
  if (run.verdict != Verdict::exited) stop_child(child, keep_alive);
  switch (run.verdict) {
    case Verdict::ready:
      try {
        switch_current(layout, release.version);
      } catch (const std::exception& error) {
        settle_trial(options, std::move(*pending), JobStatus::failed,
                     std::string("cannot switch current: ") + error.what());
        return true;
      }
      prune_releases(layout, release);
      settle_trial(options, std::move(*pending), JobStatus::succeeded, "");
      return true;
    case Verdict::exited:
      settle_trial(options, std::move(*pending), JobStatus::failed,
                   "release " + release.version + " " + describe_exit(run.exit_status) +
                       " before it was ready; rolled back, " + release.previous + " runs");
      return true;
    case Verdict::timed_out:
      settle_trial(options, std::move(*pending), JobStatus::failed,
                   "release " + release.version + " did not report ready within " +
                       std::to_string(options.ready_timeout_s) + " s; rolled back, " +
                       release.previous + " runs");
      return true;
    case Verdict::stopped:
      settle_trial(options, std::move(*pending), JobStatus::failed,
                   "the trial of release " + release.version +
                       " was cut short: the gateway was told to stop; " + release.previous +
                       " stays");
      return false;
  }
  return true;
}

void abandon_interrupted_trial(const JobOptions& options) {
  auto pending = read_pending(options);
  if (!pending || !pending->outcome.release) return;
  const StagedRelease release = *pending->outcome.release;
  if (ReleaseLayout{options.install_dir}.current_version() == release.version) {
    // The switch was made, only the record was not rewritten before the end.
    settle_trial(options, std::move(*pending), JobStatus::succeeded, "");
    return;
  }
  settle_trial(options, std::move(*pending), JobStatus::failed,
               "the gateway stopped during the trial of release " + release.version +
                   " (power cut, kill); rolled back, " + release.previous + " runs");
}

std::optional<int> take_trial_ready_fd() {
  const char* value = std::getenv(kTrialFdVariable);
  if (!value) return std::nullopt;
  const int fd = std::atoi(value);
  ::unsetenv(kTrialFdVariable);
  // A trial does not outlive the release that watches it (killed, say, by SIGKILL): it would
  // run on beside whatever starts next, on the same buffer.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() == 1) ::_exit(1);
  if (fd < 0 || ::fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) return std::nullopt;
  return fd;
}

void report_trial_ready(int fd) {
  static constexpr std::string_view kReady = "ready\n";
  [[maybe_unused]] const ssize_t written = ::write(fd, kReady.data(), kReady.size());
  ::close(fd);
}

}  // namespace edgegw
