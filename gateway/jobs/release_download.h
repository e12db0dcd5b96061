#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace edgegw {

/// A download that did not complete. `retryable`: the next attempt may get further (the
/// connection dropped, timed out, the server was busy); otherwise asking again cannot help
/// (the file is not there, it is not the size the job names, the certificate does not verify).
class DownloadError : public std::runtime_error {
 public:
  DownloadError(const std::string& what, bool retryable)
      : std::runtime_error(what), retryable_(retryable) {}
  bool retryable() const { return retryable_; }

 private:
  bool retryable_;
};

struct DownloadRequest {
  std::string url;  ///< https://host[:port]/path
  std::uint64_t size = 0;
  /// Where the bytes go. What a previous attempt left there is kept and continued.
  std::filesystem::path part_file;
};

struct DownloadLimits {
  /// CA certificates (PEM) the server's certificate must chain to; empty: the system's.
  std::string ca_file;
  /// Per network operation (connect, handshake, each read).
  std::chrono::milliseconds timeout{std::chrono::seconds(20)};
  /// Requests in one call before a retryable error is given up on.
  int attempts = 5;
  std::chrono::milliseconds retry_delay{std::chrono::seconds(2)};
};

/// Fetches `request.url` over HTTPS (the server's certificate verified, host name included)
/// until `part_file` holds exactly `request.size` bytes. A part file left by an earlier
/// attempt, or an earlier call, is continued with `Range: bytes=<have>-`; a server that
/// answers the whole file (200) instead starts it over. A server that would send more than
/// `size` is refused. Returns when complete; throws DownloadError when not, and a
/// DownloadError "cancelled" soon after `cancelled` turns true.
void download_release(const DownloadRequest& request, const DownloadLimits& limits,
                      const std::atomic<bool>& cancelled);

}  // namespace edgegw
