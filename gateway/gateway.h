#pragma once

#include <memory>
#include <string>
#include <vector>

#include "adapters/adapter.h"
#include "gateway/billing/cost_model.h"
#include "gateway/config/config.h"
#include "gateway/ingest/ingest.h"
#include "gateway/model/clock.h"
#include "gateway/uplink/bundle_sink.h"
#include "gateway/uplink/bundler.h"
#include "proto/bundle_packer.h"
#include "storage/sqlite_buffer.h"

namespace edgegw {

/// The daemon's components, wired in the order data flows through them:
/// adapters → ingest → buffer → bundler → sink. It only wires; each part is tested on its own.
class Gateway {
 public:
  /// Opens the buffer and builds every component. Throws on a config the gateway cannot run
  /// with (StorageError, ConfigError).
  Gateway(GatewayConfig config, Clock& clock);
  ~Gateway();

  void start();
  /// Stops the adapters first so nothing new arrives, then the bundler; accepted readings stay
  /// in the buffer for the next start.
  void stop();

  /// One line for the log: what came in, what is waiting, what went out and what it cost.
  std::string status_line();

  SqliteBuffer& buffer() { return *buffer_; }
  Ingest& ingest() { return *ingest_; }
  Bundler& bundler() { return *bundler_; }

 private:
  void register_series();
  billing::Provider billing_provider() const;
  std::int64_t naive_message_bytes() const;

  GatewayConfig config_;
  Clock& clock_;
  std::unique_ptr<SqliteBuffer> buffer_;
  std::unique_ptr<Ingest> ingest_;
  std::vector<std::unique_ptr<Adapter>> adapters_;
  std::vector<std::vector<SeriesId>> adapter_series_ids_;
  std::unique_ptr<BundlePacker> packer_;
  std::unique_ptr<BundleSink> sink_;
  std::unique_ptr<billing::BillingTally> tally_;
  std::unique_ptr<Bundler> bundler_;
  bool started_ = false;
};

}  // namespace edgegw
