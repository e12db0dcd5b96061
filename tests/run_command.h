#pragma once
// Runs shell commands for tests (openssl, promtool, curl, the cert scripts).

#include <sys/wait.h>

#include <cstdio>
#include <memory>
#include <string>

namespace edgegw {

struct CommandResult {
  int exit_code = -1;  ///< -1 when the command could not be run or did not exit normally
  std::string output;
};

/// Runs `command` with /bin/sh and returns its exit code and standard output; append "2>&1"
/// to the command to get standard error too.
inline CommandResult run_command(const std::string& command) {
  CommandResult result;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "r"), ::pclose);
  if (!pipe) return result;
  char buffer[4096];
  while (auto n = std::fread(buffer, 1, sizeof buffer, pipe.get())) result.output.append(buffer, n);
  const int status = ::pclose(pipe.release());
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

}  // namespace edgegw
