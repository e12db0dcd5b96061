#pragma once

#include <filesystem>

#include "gateway/uplink/bundle_sink.h"

namespace edgegw {

/// Writes each bundle to `<dir>/<bundle_seq>.bundle` (fsynced, then renamed into place so a
/// reader never sees half a file). `edgegw decode < FILE` prints one.
class DirectorySink final : public BundleSink {
 public:
  DirectorySink(std::filesystem::path directory, std::size_t metered_overhead_bytes);
  bool deliver(const InflightBundle& bundle) override;
  std::size_t metered_overhead_bytes() const override { return overhead_; }

 private:
  std::filesystem::path directory_;
  std::size_t overhead_;
};

}  // namespace edgegw
