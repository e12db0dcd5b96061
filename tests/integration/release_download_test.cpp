// The release download against a real HTTPS server (Python's http.server over TLS, with the
// test PKI's certificate): the whole file, a connection cut half way and resumed with Range,
// a part file left by an earlier attempt, a server that ignores Range, one that sends more
// than the job says, one whose certificate is not trusted, a missing file, and a cancel.
#include "gateway/jobs/release_download.h"

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "tests/integration/cloud/release_server.h"
#include "tests/read_file.h"
#include "tests/temp_dir.h"

namespace edgegw {
namespace {

/// Bytes that differ at every offset, so a resume from the wrong place shows.
std::string artifact_bytes(std::size_t size) {
  std::string bytes(size, '\0');
  for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<char>((i * 7919 + i / 251) & 0xff);
  return bytes;
}

class ReleaseDownload : public ::testing::Test {
 protected:
  DownloadRequest request(const ReleaseServer& server, std::uint64_t size) const {
    return {.url = server.url("release.tar"), .size = size, .part_file = dir_.file("part")};
  }
  DownloadLimits limits() const {
    return {.ca_file = pki_.ca_file(),
            .timeout = std::chrono::seconds(10),
            .attempts = 3,
            .retry_delay = std::chrono::milliseconds(100)};
  }
  /// What download_release threw, or "" when it did not.
  std::string failure(const DownloadRequest& r, const DownloadLimits& l) const {
    try {
      download_release(r, l, not_cancelled_);
      return "";
    } catch (const DownloadError& error) {
      return error.what();
    }
  }

  TempDir dir_;
  TestPki pki_{dir_.file("pki")};
  const std::string bytes_ = artifact_bytes(300 * 1024);
  const std::atomic<bool> not_cancelled_{false};
};

TEST_F(ReleaseDownload, FetchesTheWholeFileOverVerifiedTls) {
  ReleaseServer server(pki_);
  server.put("release.tar", bytes_);
  download_release(request(server, bytes_.size()), limits(), not_cancelled_);
  EXPECT_EQ(read_file(dir_.file("part")), bytes_);
  EXPECT_EQ(server.ranges(), std::vector<std::string>{""});
}

TEST_F(ReleaseDownload, AConnectionCutHalfWayIsResumedWithRangeFromWhereItStopped) {
  ReleaseServer server(pki_, {.cut_after = 100 * 1024});
  server.put("release.tar", bytes_);
  download_release(request(server, bytes_.size()), limits(), not_cancelled_);
  EXPECT_EQ(read_file(dir_.file("part")), bytes_);
  const auto ranges = server.ranges();
  ASSERT_EQ(ranges.size(), 2U);
  EXPECT_EQ(ranges[0], "");
  // Whatever arrived before the cut was kept, and only the rest was asked for.
  ASSERT_TRUE(ranges[1].starts_with("bytes=")) << ranges[1];
  EXPECT_GT(std::stoul(ranges[1].substr(6)), 0U) << ranges[1];
  EXPECT_TRUE(ranges[1].ends_with("-")) << ranges[1];
}

TEST_F(ReleaseDownload, APartFileFromAnEarlierAttemptIsContinued) {
  ReleaseServer server(pki_);
  server.put("release.tar", bytes_);
  std::ofstream(dir_.file("part"), std::ios::binary) << bytes_.substr(0, 12345);
  download_release(request(server, bytes_.size()), limits(), not_cancelled_);
  EXPECT_EQ(read_file(dir_.file("part")), bytes_);
  EXPECT_EQ(server.ranges(), std::vector<std::string>{"bytes=12345-"});
}

TEST_F(ReleaseDownload, AServerThatIgnoresRangeStartsTheFileOver) {
  ReleaseServer server(pki_, {.ignore_range = true});
  server.put("release.tar", bytes_);
  // Not the file's start: had it been appended to, the result would differ.
  std::ofstream(dir_.file("part"), std::ios::binary) << std::string(5000, 'x');
  download_release(request(server, bytes_.size()), limits(), not_cancelled_);
  EXPECT_EQ(read_file(dir_.file("part")), bytes_);
}

TEST_F(ReleaseDownload, AFileLargerThanTheJobSaysIsRefusedAndNotRetried) {
  ReleaseServer server(pki_);
  server.put("release.tar", bytes_);
  const std::string error = failure(request(server, bytes_.size() - 1), limits());
  EXPECT_NE(error.find("the job says " + std::to_string(bytes_.size() - 1)), std::string::npos)
      << error;
  EXPECT_EQ(server.ranges().size(), 1U);
}

TEST_F(ReleaseDownload, AServerWhoseCertificateIsNotTrustedIsRefused) {
  ReleaseServer server(pki_);
  server.put("release.tar", bytes_);
  TestPki other(dir_.file("other"), "another CA");
  DownloadLimits l = limits();
  l.ca_file = other.ca_file();
  const std::string error = failure(request(server, bytes_.size()), l);
  EXPECT_NE(error.find("certificate verify failed"), std::string::npos) << error;
  EXPECT_EQ(read_file(dir_.file("part")), "");
}

TEST_F(ReleaseDownload, AMissingFileIsAClearErrorAndAPlainHttpUrlIsRefused) {
  ReleaseServer server(pki_);
  DownloadRequest r = request(server, 10);
  EXPECT_NE(failure(r, limits()).find("HTTP 404"), std::string::npos) << failure(r, limits());
  r.url = "http://localhost/release.tar";
  EXPECT_NE(failure(r, limits()).find("must be https://"), std::string::npos);
}

TEST_F(ReleaseDownload, ACancelEndsADownloadThatHangs) {
  ReleaseServer server(pki_, {.stall = true});
  server.put("release.tar", bytes_);
  std::atomic<bool> cancelled{false};
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    cancelled = true;
  });
  DownloadLimits l = limits();
  l.timeout = std::chrono::seconds(120);  // only the cancel can end it within the test
  try {
    download_release(request(server, bytes_.size()), l, cancelled);
    ADD_FAILURE() << "the download returned";
  } catch (const DownloadError& error) {
    EXPECT_STREQ(error.what(), "cancelled");
  }
  canceller.join();
}

}  // namespace
}  // namespace edgegw
