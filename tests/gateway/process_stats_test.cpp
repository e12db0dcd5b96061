#include "gateway/process_stats.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <vector>

namespace edgegw {
namespace {

TEST(ProcessStats, ReportsThisProcess) {
  const auto stats = read_process_stats();
  EXPECT_GT(stats.resident_bytes, 1024 * 1024) << "a running test binary uses over a MiB";
  EXPECT_GE(stats.virtual_bytes, stats.resident_bytes);
  EXPECT_GE(stats.cpu_seconds, 0.0);
  EXPECT_GE(stats.open_fds, 3) << "stdin, stdout and stderr at least";
  EXPECT_GT(stats.max_fds, stats.open_fds);
  const double now_s =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_LE(stats.start_time_s, now_s + 1);
  EXPECT_GT(stats.start_time_s, now_s - 3600) << "this test started within the hour";
}

TEST(ProcessStats, CountsEachOpenDescriptor) {
  const auto before = read_process_stats().open_fds;
  std::vector<int> fds;
  for (int i = 0; i < 5; ++i) fds.push_back(::open("/dev/null", O_RDONLY));
  EXPECT_EQ(read_process_stats().open_fds, before + 5);
  for (int fd : fds) ::close(fd);
  EXPECT_EQ(read_process_stats().open_fds, before);
}

TEST(ProcessStats, CpuTimeGrowsWithWork) {
  const auto before = read_process_stats().cpu_seconds;
  volatile double sink = 0;
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
  while (std::chrono::steady_clock::now() < until) sink = sink + 1;
  EXPECT_GT(read_process_stats().cpu_seconds, before);
}

}  // namespace
}  // namespace edgegw
