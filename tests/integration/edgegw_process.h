#pragma once
// The edgegw binary as a user runs it, for integration tests. EDGEGW_BINARY is its path.

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/read_file.h"
#include "tests/run_command.h"
#include "tests/temp_dir.h"

namespace edgegw {

/// Runs the edgegw binary to completion, feeding `input` on stdin; output has stdout and
/// stderr together.
inline CommandResult run_edgegw(const std::vector<std::string>& args,
                                const std::string& input = "") {
  TempDir io;
  auto in_path = io.path() / "in", out_path = io.path() / "out";
  std::ofstream(in_path, std::ios::binary) << input;
  pid_t pid = fork();
  if (pid == 0) {
    int in = ::open(in_path.c_str(), O_RDONLY);
    int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(in, 0);
    dup2(out, 1);
    dup2(out, 2);
    std::vector<char*> argv{const_cast<char*>(EDGEGW_BINARY)};
    for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    execv(EDGEGW_BINARY, argv.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  std::stringstream text;
  text << std::ifstream(out_path).rdbuf();
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, text.str()};
}

/// A daemon started in the background; killed at scope exit if the test did not stop it.
class Daemon {
 public:
  /// `binary`: another copy of edgegw, e.g. one installed as a release.
  explicit Daemon(const std::filesystem::path& config, const std::filesystem::path& log,
                  const std::string& binary = EDGEGW_BINARY) {
    pid_ = fork();
    if (pid_ == 0) {
      int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
      dup2(out, 1);
      dup2(out, 2);
      execl(binary.c_str(), binary.c_str(), "run", "--config", config.c_str(), nullptr);
      _exit(127);
    }
  }
  ~Daemon() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  /// SIGKILL: a crash at whatever moment the process is in.
  void kill_hard() {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  pid_t pid() const { return pid_; }
  /// Sends `signal` (SIGHUP: read the config again) and returns at once.
  void signal(int signal) { kill(pid_, signal); }
  /// SIGTERM, then the exit code.
  int stop() {
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  pid_t pid_ = -1;
};

inline std::vector<std::filesystem::path> bundle_files(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> files;
  if (!std::filesystem::exists(dir)) return files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".bundle") files.push_back(entry.path());
  }
  return files;
}

}  // namespace edgegw
