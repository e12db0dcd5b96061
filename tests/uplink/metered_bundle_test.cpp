// The packer's budget comes from each provider's metering model: a full bundle from the packer,
// sent on the profile's topic with everything the provider meters beside it, is one unit.
#include <gtest/gtest.h>

#include "adapters/simulator/simulator_generator.h"
#include "gateway/uplink/cloud_profile.h"
#include "proto/bundle_packer.h"

namespace edgegw {
namespace {

GatewayConfig provider_config(const std::string& provider, const std::string& encoding) {
  GatewayConfig config;
  config.gateway.gateway_id = "crane-0042";
  config.uplink.provider = provider;
  config.bundle.encoding = encoding;
  config.uplink.tls =
      TlsOptions{.ca_file = "ca.pem", .cert_file = "dev.pem", .key_file = "dev.key"};
  config.uplink.azure.hub = "fleet-hub";
  return config;
}

struct PackedStream {
  std::vector<PackedBundle> full_bundles;
};

PackedStream pack_stream(const CloudProfile& profile, const std::string& encoding) {
  MixedSimulatorStream stream(1'700'000'000'000);
  stream.add_demo_sources();
  std::vector<Reading> readings;
  stream.generate(60'000, readings);
  SeriesCatalog catalog;
  for (const auto& info : stream.series()) catalog.insert(info);
  BundlePacker packer({.gateway_id = "crane-0042",
                       .budget_bytes = profile.payload_budget_bytes(),
                       .encoding = *parse_bundle_encoding(encoding)},
                      catalog);
  PackedStream out;
  std::span<const Reading> rest(readings);
  for (std::uint64_t seq = 1; !rest.empty(); ++seq) {
    PackedBundle packed = packer.pack(seq, rest);
    if (!packed.full) break;
    rest = rest.subspan(packed.reading_count);
    out.full_bundles.push_back(std::move(packed));
  }
  return out;
}

class MeteredBundle : public testing::TestWithParam<std::tuple<std::string, std::string>> {};

TEST_P(MeteredBundle, AFullBundleWithEverythingMeteredBesideItIsOneUnit) {
  const auto& [provider, encoding] = GetParam();
  const CloudProfile profile = resolve_profile(provider_config(provider, encoding));
  const PackedStream packed = pack_stream(profile, encoding);
  ASSERT_GE(packed.full_bundles.size(), 5u);
  const billing::Envelope envelope{.topic = profile.telemetry_topic};
  const std::int64_t unit = profile.metering.unit_bytes();
  for (const auto& bundle : packed.full_bundles) {
    const auto payload = static_cast<std::int64_t>(bundle.payload.size());
    const billing::MeteredSize metered = profile.metering.metered(payload, envelope);
    EXPECT_LE(metered.total(), unit) << "bundle " << bundle.bundle_seq;
    EXPECT_EQ(profile.metering.units(payload, envelope), 1);
    // Filled, not just under: a reading or two of slack at most (zstd's trial steps leave more).
    EXPECT_GT(metered.total(), unit - (encoding == "proto" ? 32 : 96)) << bundle.bundle_seq;
  }
}

INSTANTIATE_TEST_SUITE_P(Providers, MeteredBundle,
                         testing::Combine(testing::Values("aws", "azure", "generic"),
                                          testing::Values("proto", "proto+zstd")));

std::size_t budget_of(const GatewayConfig& config) {
  return resolve_profile(config).payload_budget_bytes();
}

TEST(MeteredBudget, OneMoreTopicByteOnAwsAndGenericIsOneLessPayloadByte) {
  for (const std::string provider : {"aws", "generic"}) {
    auto config = provider_config(provider, "proto");
    const std::size_t base = budget_of(config);
    config.uplink.telemetry_topic += "x";
    EXPECT_EQ(budget_of(config), base - 1) << provider;
    if (provider == "aws") {
      config.uplink.aws.basic_ingest_rule = "r";
      EXPECT_EQ(budget_of(config), base - 1 - 13) << "$aws/rules/r/ is metered too";
    }
  }
}

TEST(MeteredBudget, OnAzureTheTopicIsFreeButEveryPropertyByteCounts) {
  auto config = provider_config("azure", "proto");
  const std::size_t base = budget_of(config);
  config.uplink.telemetry_topic += "x";
  EXPECT_EQ(budget_of(config), base) << "IoT Hub ignores the telemetry_topic setting's length";
  config.uplink.azure.device_id = "crane-00420";
  EXPECT_EQ(budget_of(config), base - 1) << "the hub stamps the device id on every message";
  config.uplink.azure.stamp_allowance_bytes += 1;
  EXPECT_EQ(budget_of(config), base - 2);
}

TEST(MeteredBudget, TheZstdContentEncodingPropertyIsCounted) {
  const std::size_t proto = budget_of(provider_config("azure", "proto"));
  const std::size_t zstd = budget_of(provider_config("azure", "proto+zstd"));
  EXPECT_EQ(proto - zstd, 4u) << "$.ce=zstd: the value \"zstd\"";
}

TEST(MeteredBudget, AzureLeavesRoomForTheContentTypeTheDeviceIdAndTheStamps) {
  const auto config = provider_config("azure", "proto");
  EXPECT_EQ(budget_of(config), 4096u - 22 - 10 - 160);
}

}  // namespace
}  // namespace edgegw
