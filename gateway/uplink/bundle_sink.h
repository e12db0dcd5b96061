#pragma once

#include <string>

#include "storage/sqlite_buffer.h"

namespace edgegw {

/// Where finished bundles go: an MQTT broker, or a directory for demos and offline capture.
class BundleSink {
 public:
  virtual ~BundleSink() = default;
  /// Delivers one bundle. Returns true once the far side holds it durably (the bundle's rows
  /// may then be deleted); false leaves it in flight to be sent again with the same bytes.
  virtual bool deliver(const InflightBundle& bundle) = 0;
  /// Bytes the provider meters besides the payload (the topic, for AWS).
  virtual std::size_t metered_overhead_bytes() const = 0;
};

}  // namespace edgegw
