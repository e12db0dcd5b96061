#include "gateway/process_stats.h"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

namespace edgegw {
namespace {

/// The fields of /proc/self/stat after the command name, which may itself hold spaces and
/// parentheses; fields()[0] is field 3 (state) of proc(5).
std::vector<std::string> stat_fields() {
  std::ifstream file("/proc/self/stat");
  std::string line;
  std::getline(file, line);
  const auto end_of_name = line.rfind(')');
  if (end_of_name == std::string::npos) return {};
  std::istringstream rest(line.substr(end_of_name + 1));
  std::vector<std::string> fields;
  for (std::string field; rest >> field;) fields.push_back(field);
  return fields;
}

/// "btime" of /proc/stat: when the system booted, in seconds since the epoch. Read once: it
/// never changes, and the kernel takes tens of microseconds to produce /proc/stat.
std::int64_t read_boot_time_s() {
  std::ifstream file("/proc/stat");
  for (std::string key; file >> key;) {
    if (key == "btime") {
      std::int64_t value = -1;
      file >> value;
      return value;
    }
    file.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  return -1;
}

}  // namespace

ProcessStats read_process_stats() {
  ProcessStats stats;
  const auto fields = stat_fields();
  const long ticks = ::sysconf(_SC_CLK_TCK);
  const long page = ::sysconf(_SC_PAGESIZE);
  // proc(5) numbers fields from 1; fields[0] is field 3.
  auto field = [&](std::size_t number) -> std::int64_t {
    if (number < 3 || number - 3 >= fields.size()) return -1;
    try {
      return std::stoll(fields[number - 3]);
    } catch (const std::exception&) {
      return -1;
    }
  };
  if (ticks > 0 && field(14) >= 0 && field(15) >= 0) {
    stats.cpu_seconds = static_cast<double>(field(14) + field(15)) / static_cast<double>(ticks);
  }
  if (field(23) >= 0) stats.virtual_bytes = field(23);
  if (page > 0 && field(24) >= 0) stats.resident_bytes = field(24) * page;
  static const std::int64_t boot = read_boot_time_s();
  if (ticks > 0 && boot >= 0 && field(22) >= 0) {
    stats.start_time_s =
        static_cast<double>(boot) + static_cast<double>(field(22)) / static_cast<double>(ticks);
  }

  std::error_code ec;
  std::int64_t fds = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end;
       it.increment(ec)) {
    ++fds;
  }
  // The iterator's own descriptor was open while counting.
  if (!ec) stats.open_fds = fds > 0 ? fds - 1 : 0;
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
    stats.max_fds = static_cast<std::int64_t>(limit.rlim_cur);
  }
  return stats;
}

}  // namespace edgegw
