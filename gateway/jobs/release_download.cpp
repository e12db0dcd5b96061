#include "gateway/jobs/release_download.h"

#include <fcntl.h>
#include <openssl/ssl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cerrno>
#include <cstring>
#include <optional>
#include <thread>

namespace edgegw {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

struct Url {
  std::string host;
  std::string port = "443";
  std::string target = "/";
};

Url parse_https_url(const std::string& url) {
  constexpr std::string_view kScheme = "https://";
  if (!url.starts_with(kScheme)) {
    throw DownloadError("the url must be https://, not \"" + url + "\"", false);
  }
  const std::string rest = url.substr(kScheme.size());
  const auto slash = rest.find('/');
  const std::string authority = rest.substr(0, slash);
  Url out;
  if (slash != std::string::npos) out.target = rest.substr(slash);
  std::string host = authority;
  if (authority.starts_with('[')) {  // [::1]:8443
    const auto close = authority.find(']');
    if (close == std::string::npos) throw DownloadError("bad host in \"" + url + "\"", false);
    host = authority.substr(1, close - 1);
    if (close + 1 < authority.size() && authority[close + 1] == ':') {
      out.port = authority.substr(close + 2);
    }
  } else if (const auto colon = authority.rfind(':'); colon != std::string::npos) {
    host = authority.substr(0, colon);
    out.port = authority.substr(colon + 1);
  }
  if (host.empty() || out.port.empty() || host.find('@') != std::string::npos) {
    throw DownloadError("bad host in \"" + url + "\"", false);
  }
  out.host = host;
  return out;
}

bool is_ip_literal(const std::string& host) {
  boost::system::error_code error;
  asio::ip::make_address(host, error);
  return !error;
}

/// The offset a 206's Content-Range says the body starts at ("bytes 100-199/200"), and the
/// whole file's size when the server says it.
struct ContentRange {
  std::uint64_t first = 0;
  std::optional<std::uint64_t> total;
};

std::optional<ContentRange> parse_content_range(std::string_view value) {
  if (!value.starts_with("bytes ")) return std::nullopt;
  value.remove_prefix(6);
  ContentRange out;
  try {
    out.first = std::stoull(std::string(value.substr(0, value.find('-'))));
    const auto slash = value.find('/');
    if (slash != std::string_view::npos && value.substr(slash + 1) != "*") {
      out.total = std::stoull(std::string(value.substr(slash + 1)));
    }
  } catch (const std::exception&) {
    return std::nullopt;
  }
  return out;
}

/// The part file, opened for writing at `offset` (truncated there).
class PartFile {
 public:
  PartFile(const std::filesystem::path& path, std::uint64_t offset) : path_(path) {
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0 || ::ftruncate(fd_, static_cast<off_t>(offset)) != 0 ||
        ::lseek(fd_, static_cast<off_t>(offset), SEEK_SET) < 0) {
      fail("cannot open");
    }
  }
  ~PartFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  PartFile(const PartFile&) = delete;
  PartFile& operator=(const PartFile&) = delete;

  void write(const char* data, std::size_t size) {
    while (size > 0) {
      const ssize_t written = ::write(fd_, data, size);
      if (written < 0 && errno == EINTR) continue;
      if (written <= 0) fail("cannot write");
      data += written;
      size -= static_cast<std::size_t>(written);
    }
  }
  /// What reached the file is kept for the next attempt even if this one breaks off.
  void sync() {
    if (::fdatasync(fd_) != 0) fail("cannot sync");
  }

 private:
  [[noreturn]] void fail(const char* what) const {
    // A full or broken disk: the next attempt would fail the same way.
    throw DownloadError(std::string(what) + " " + path_.string() + ": " + std::strerror(errno),
                        false);
  }
  std::filesystem::path path_;
  int fd_ = -1;
};

/// One HTTPS GET of the rest of the file, on its own io_context: each operation runs with a
/// deadline, and the wait checks `cancelled` a few times a second.
class RangeRequest {
 public:
  RangeRequest(const Url& url, const DownloadLimits& limits, const std::atomic<bool>& cancelled)
      : url_(url), limits_(limits), cancelled_(cancelled) {
    tls_.set_verify_mode(ssl::verify_peer);
    boost::system::error_code error;
    if (limits.ca_file.empty()) {
      tls_.set_default_verify_paths(error);
    } else {
      tls_.load_verify_file(limits.ca_file, error);
    }
    if (error) {
      throw DownloadError("cannot load the CA file \"" + limits.ca_file + "\": " + error.message(),
                          false);
    }
  }

  /// Appends the bytes from `have` on to `file_path` until it holds `size`.
  void fetch(const std::filesystem::path& file_path, std::uint64_t have, std::uint64_t size) {
    beast::ssl_stream<beast::tcp_stream> stream(io_, tls_);
    if (!is_ip_literal(url_.host) &&
        !SSL_set_tlsext_host_name(stream.native_handle(), url_.host.c_str())) {
      throw DownloadError("cannot set the TLS server name", false);
    }
    stream.set_verify_callback(ssl::host_name_verification(url_.host));

    tcp::resolver resolver(io_);
    tcp::resolver::results_type endpoints;
    run("resolve " + url_.host, [&](auto done) {
      resolver.async_resolve(url_.host, url_.port, [&, done](auto error, auto results) {
        endpoints = results;
        done(error);
      });
    });
    run("connect to " + url_.host + ":" + url_.port, [&](auto done) {
      beast::get_lowest_layer(stream).expires_after(limits_.timeout);
      beast::get_lowest_layer(stream).async_connect(endpoints,
                                                    [done](auto error, auto) { done(error); });
    });
    run("TLS handshake with " + url_.host, [&](auto done) {
      beast::get_lowest_layer(stream).expires_after(limits_.timeout);
      stream.async_handshake(ssl::stream_base::client, done);
    });

    http::request<http::empty_body> request{http::verb::get, url_.target, 11};
    request.set(http::field::host, url_.host);
    request.set(http::field::user_agent, "edgegw/" EDGEGW_VERSION);
    if (have > 0) request.set(http::field::range, "bytes=" + std::to_string(have) + "-");
    run("send the request", [&](auto done) {
      beast::get_lowest_layer(stream).expires_after(limits_.timeout);
      http::async_write(stream, request, [done](auto error, auto) { done(error); });
    });

    beast::flat_buffer buffer;
    http::response_parser<http::buffer_body> parser;
    // Room for the whole file: a server whose body would run past `size` is caught below.
    parser.body_limit(size + 1);
    run("read the answer", [&](auto done) {
      beast::get_lowest_layer(stream).expires_after(limits_.timeout);
      http::async_read_header(stream, buffer, parser, [done](auto error, auto) { done(error); });
    });
    const auto& header = parser.get();
    std::uint64_t offset = 0;
    switch (header.result()) {
      case http::status::partial_content: {
        const auto range = parse_content_range(header[http::field::content_range]);
        if (!range || range->first != have) {
          throw DownloadError("the server's Content-Range \"" +
                                  std::string(header[http::field::content_range]) +
                                  "\" does not start at byte " + std::to_string(have),
                              true);
        }
        if (range->total && *range->total != size) throw wrong_size(*range->total, size);
        offset = have;
        break;
      }
      case http::status::ok:
        // The server ignores ranges: the whole file again, from the start.
        if (have > 0) spdlog::info("jobs: {} ignores Range; downloading from the start", url_.host);
        break;
      case http::status::range_not_satisfiable:
        // What we have is not a start of the file any more: start over.
        PartFile(file_path, 0);
        throw DownloadError(
            "the server cannot send from byte " + std::to_string(have) + " (416); starting over",
            true);
      default: {
        const auto code = header.result_int();
        throw DownloadError("HTTP " + std::to_string(code) + " " + std::string(header.reason()) +
                                " from " + url_.host + url_.target,
                            code >= 500 || code == 408 || code == 429);
      }
    }
    if (header.has_content_length() && offset + *parser.content_length() != size) {
      throw wrong_size(offset + *parser.content_length(), size);
    }

    PartFile file(file_path, offset);
    std::array<char, 64 * 1024> chunk{};
    std::uint64_t received = offset;
    // Whatever arrived is kept, even if the connection breaks off: the next attempt goes on.
    struct SyncOnExit {
      PartFile& file;
      ~SyncOnExit() {
        try {
          file.sync();
        } catch (const DownloadError&) {
          // the write that follows reports the disk
        }
      }
    } sync_on_exit{file};
    while (!parser.is_done()) {
      parser.get().body().data = chunk.data();
      parser.get().body().size = chunk.size();
      run("read the body", [&](auto done) {
        beast::get_lowest_layer(stream).expires_after(limits_.timeout);
        http::async_read(stream, buffer, parser, [done](boost::system::error_code error, auto) {
          done(error == http::error::need_buffer ? boost::system::error_code() : error);
        });
      });
      const std::size_t got = chunk.size() - parser.get().body().size;
      received += got;
      if (received > size) throw wrong_size(received, size);
      file.write(chunk.data(), got);
    }
    if (received != size) {
      throw DownloadError("the body ended after " + std::to_string(received) + " of " +
                              std::to_string(size) + " bytes",
                          true);
    }
  }

 private:
  static DownloadError wrong_size(std::uint64_t server, std::uint64_t job) {
    return DownloadError("the server's file is " + std::to_string(server) +
                             " bytes or more, the job says " + std::to_string(job),
                         false);
  }

  /// Starts one asynchronous operation and runs the io_context until it completes (its error
  /// thrown as retryable, with `what`), polling `cancelled` meanwhile.
  template <class Start>
  void run(const std::string& what, Start start) {
    std::optional<boost::system::error_code> result;
    start([&result](boost::system::error_code error) { result = error; });
    io_.restart();
    while (!result) {
      if (cancelled_) throw DownloadError("cancelled", false);
      io_.run_for(std::chrono::milliseconds(200));
      if (!result && io_.stopped()) io_.restart();
    }
    if (*result == http::error::body_limit)
      throw DownloadError("the body runs past the size", false);
    if (*result) {
      const bool certificate = result->category() == asio::error::get_ssl_category();
      throw DownloadError("cannot " + what + ": " + result->message(), !certificate);
    }
  }

  Url url_;
  const DownloadLimits& limits_;
  const std::atomic<bool>& cancelled_;
  asio::io_context io_;
  ssl::context tls_{ssl::context::tls_client};
};

}  // namespace

void download_release(const DownloadRequest& request, const DownloadLimits& limits,
                      const std::atomic<bool>& cancelled) {
  const Url url = parse_https_url(request.url);
  for (int attempt = 1;; ++attempt) {
    std::error_code ignored;
    std::uint64_t have = std::filesystem::file_size(request.part_file, ignored);
    if (ignored) have = 0;
    if (have == request.size) return;
    if (have > request.size) {
      PartFile(request.part_file, 0);
      have = 0;
    }
    try {
      RangeRequest(url, limits, cancelled).fetch(request.part_file, have, request.size);
      return;
    } catch (const DownloadError& error) {
      if (!error.retryable() || attempt >= limits.attempts) throw;
      spdlog::warn("jobs: download of {} broke off ({}); attempt {} of {} in {} ms", request.url,
                   error.what(), attempt + 1, limits.attempts, limits.retry_delay.count());
    }
    for (auto waited = std::chrono::milliseconds(0); waited < limits.retry_delay;
         waited += std::chrono::milliseconds(100)) {
      if (cancelled) throw DownloadError("cancelled", false);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
}

}  // namespace edgegw
