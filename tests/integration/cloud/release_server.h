#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "tests/temp_dir.h"
#include "tests/test_pki.h"

namespace edgegw {

/// How the artifact server misbehaves (release_server.py).
struct ReleaseServerFaults {
  /// The first answer for each file stops after this many body bytes; negative: never.
  long cut_after = -1;
  bool ignore_range = false;
  /// Headers, then silence.
  bool stall = false;
};

/// tests/integration/cloud/release_server.py as a child process: an HTTPS server on a free
/// loopback port, its certificate from the test PKI (valid for localhost), serving the files
/// put into it. Started by the constructor, killed by the destructor.
class ReleaseServer {
 public:
  explicit ReleaseServer(const TestPki& pki, ReleaseServerFaults faults = {});
  ~ReleaseServer();
  ReleaseServer(const ReleaseServer&) = delete;
  ReleaseServer& operator=(const ReleaseServer&) = delete;

  /// Serves `content` as /<name>.
  void put(const std::string& name, const std::string& content) const;
  std::string url(const std::string& name) const;
  /// The Range header of each request so far, in order ("" for none).
  std::vector<std::string> ranges() const;

 private:
  TempDir dir_;
  std::string log_file_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace edgegw
