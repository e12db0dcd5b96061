#pragma once

#include <cstdint>

namespace edgegw {

/// What the kernel says about this process, for the standard process_* metrics. Fields the
/// kernel would not tell stay at -1.
struct ProcessStats {
  double cpu_seconds = -1;           ///< user + system
  std::int64_t resident_bytes = -1;  ///< RSS
  std::int64_t virtual_bytes = -1;
  std::int64_t open_fds = -1;
  std::int64_t max_fds = -1;  ///< the soft RLIMIT_NOFILE
  double start_time_s = -1;   ///< since the Unix epoch
};

/// Reads /proc/self (Linux). Never throws: what cannot be read stays -1.
ProcessStats read_process_stats();

}  // namespace edgegw
