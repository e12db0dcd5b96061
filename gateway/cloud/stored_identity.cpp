#include "gateway/cloud/stored_identity.h"

namespace edgegw::cloud {
namespace {

void fill(std::string& value, const std::string& from) {
  if (value.empty()) value = from;
}

/// Points what the config leaves empty at the store's credential: the symmetric key of a SAS
/// device, else the certificate and key.
void fill_credential(GatewayConfig& config, const IdentityStore& store, bool symmetric) {
  if (symmetric) {
    fill(config.uplink.azure.device_key_file, store.symmetric_key_file().string());
  } else if (config.uplink.tls) {
    fill(config.uplink.tls->cert_file, store.certificate_file().string());
    fill(config.uplink.tls->key_file, store.key_file().string());
  }
}

}  // namespace

std::optional<DeviceIdentity> apply_stored_identity(GatewayConfig& config) {
  const IdentityStore store(config.identity.dir);
  auto identity = store.load();
  if (!identity) return std::nullopt;
  fill(config.gateway.gateway_id, identity->thing_name);
  fill(config.uplink.aws.thing_name, identity->thing_name);
  fill(config.uplink.azure.device_id, identity->thing_name);
  // uplink.host always has a value: the identity's endpoint replaces only the default, and
  // only when the config names the host no other way (an AWS endpoint, an Azure hub).
  const bool host_named =
      config.uplink.host != UplinkOptions{}.host ||
      (config.uplink.provider == "aws" && !config.uplink.aws.endpoint_prefix.empty()) ||
      (config.uplink.provider == "azure" && !config.uplink.azure.hub.empty());
  if (!host_named && !identity->endpoint.empty()) config.uplink.host = identity->endpoint;
  if (identity->provisioned_by == "jitp") config.uplink.aws.jit_registration = true;
  fill_credential(config, store, identity->credential == "sas");
  return identity;
}

bool needs_provisioning(const GatewayConfig& config) {
  return config.provisioning && !IdentityStore(config.identity.dir).load();
}

GatewayConfig as_provisioned(GatewayConfig config) {
  const IdentityStore store(config.identity.dir);
  fill(config.gateway.gateway_id, "to-be-provisioned");
  const bool azure = config.uplink.provider == "azure";
  // DPS assigns the hub.
  if (azure && config.uplink.host == UplinkOptions{}.host) {
    fill(config.uplink.azure.hub, "to-be-assigned");
  }
  fill_credential(config, store, azure && config.uplink.azure.auth == "sas");
  return config;
}

}  // namespace edgegw::cloud
