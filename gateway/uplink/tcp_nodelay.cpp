#include "gateway/uplink/tcp_nodelay.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <filesystem>
#include <string>
#include <system_error>

namespace edgegw {
namespace {

/// The peer's port of a connected TCP socket, or -1.
int tcp_peer_port(int fd) {
  int type = 0;
  socklen_t type_size = sizeof type;
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &type_size) != 0 || type != SOCK_STREAM) {
    return -1;
  }
  sockaddr_storage peer{};
  socklen_t peer_size = sizeof peer;
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_size) != 0) return -1;
  if (peer.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in&>(peer).sin_port);
  if (peer.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6&>(peer).sin6_port);
  }
  return -1;
}

}  // namespace

std::vector<int> tcp_sockets_towards(int peer_port) {
  std::vector<int> sockets;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", error)) {
    int fd = -1;
    try {
      fd = std::stoi(entry.path().filename().string());
    } catch (const std::exception&) {
      continue;
    }
    if (tcp_peer_port(fd) == peer_port) sockets.push_back(fd);
  }
  return sockets;
}

std::vector<int> disable_nagle_towards(int peer_port) {
  std::vector<int> set;
  for (int fd : tcp_sockets_towards(peer_port)) {
    const int on = 1;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) == 0) set.push_back(fd);
  }
  return set;
}

bool nagle_disabled(int fd) {
  int on = 0;
  socklen_t size = sizeof on;
  return getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, &size) == 0 && on != 0;
}

}  // namespace edgegw
