#pragma once
// What the fixtures that run a real peer (mosquitto, pymodbus, socat) share: a free loopback
// port, and a child process that dies with the test binary.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace edgegw::testing {

/// The kernel's pick of a free port on 127.0.0.1; the peer binds it again right after (with
/// SO_REUSEADDR, so a restart on the same port works too).
inline int free_loopback_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket() failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot bind a loopback port");
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

/// Forks and execs `args` (args[0] is the program's path) with stdout and stderr into
/// `output_file` (appended to with `append`). The child is killed when the test binary dies,
/// even if it crashed. Everything is built before fork(): only async-signal-safe calls after.
inline pid_t spawn_child(std::vector<std::string> args, const std::string& output_file,
                         bool append = false) {
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC);
  int output = ::open(output_file.c_str(), flags, 0600);
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(1);
    if (output >= 0) {
      ::dup2(output, STDOUT_FILENO);
      ::dup2(output, STDERR_FILENO);
    }
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  if (output >= 0) ::close(output);
  if (pid < 0) throw std::runtime_error("fork failed");
  return pid;
}

}  // namespace edgegw::testing
