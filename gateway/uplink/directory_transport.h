#pragma once

#include <filesystem>
#include <mutex>

#include "gateway/uplink/transport.h"

namespace edgegw {

/// A transport with no network: each publish becomes a file in a directory, fsynced and
/// renamed into place, and counts as acknowledged once it is there. Bundles are
/// `<bundle_seq>.bundle` (`edgegw decode < FILE` prints one), alarms `alarm-<token>.json`.
/// For demos, offline capture and tests of everything above the network.
class DirectoryTransport final : public Transport {
 public:
  explicit DirectoryTransport(std::filesystem::path directory);

  void start(Handlers handlers) override;
  void stop() override;
  bool publish(const std::string& topic, std::string_view payload, std::uint64_t token) override;
  /// Nothing ever arrives in a directory: subscriptions are not kept.
  void subscribe(std::string, MessageHandler) override {}
  std::vector<SubscriptionState> subscriptions() const override { return {}; }
  void try_credentials(ClientCredentials, CredentialsTried done) override {
    done(false, "a directory uplink has no client certificate");
  }
  void set_credentials(ClientCredentials) override {}

 private:
  std::filesystem::path directory_;
  std::mutex mutex_;
  Handlers handlers_;
  bool started_ = false;
};

}  // namespace edgegw
