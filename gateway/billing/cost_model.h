#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/billing/metering.h"

namespace edgegw::billing {

// Pure arithmetic of what the clouds charge for device-to-cloud messages. No I/O. Prices are
// list prices at the time of writing, to be checked against the providers' pages; every one is
// a parameter with the list price as its default.

inline constexpr double kSecondsPerDay = 86'400.0;

/// AWS IoT Core messaging price.
struct AwsPricing {
  double usd_per_million_units = 1.00;
  /// Publishing to `$aws/rules/...` (Basic Ingest) carries no messaging charge (rule and
  /// action charges still apply and are not modelled here).
  bool basic_ingest = false;
};

/// Whether a topic goes through AWS Basic Ingest.
bool is_basic_ingest_topic(std::string_view topic);
/// Messaging cost of `units` AWS units.
double aws_cost_usd(double units, const AwsPricing& pricing = {});

enum class AzureTier { b1, b2, b3, s1, s2, s3 };

/// One IoT Hub tier: its daily message quota per hub unit and monthly list price per unit.
struct AzureTierInfo {
  AzureTier tier;
  std::string_view name;  ///< "S1"
  std::int64_t messages_per_unit_per_day;
  double usd_per_unit_month;  ///< list price, to be checked
};

/// All tiers, basic first, cheapest first within a family.
const std::vector<AzureTierInfo>& azure_tiers();
const AzureTierInfo& azure_tier_info(AzureTier tier);
/// Parses "S1", "s1", "B3" ...
std::optional<AzureTier> parse_azure_tier(std::string_view name);
/// Hub units a daily chunk count needs in `tier` (at least 1).
std::int64_t azure_units_needed(double chunks_per_day, AzureTier tier);
/// Monthly cost of running enough units of `tier` for that daily chunk count.
double azure_monthly_cost_usd(double chunks_per_day, AzureTier tier);
/// The cheapest tier for that daily chunk count; `standard_only` skips the B tiers (which lack
/// cloud-to-device messaging and device twins).
AzureTier cheapest_azure_tier(double chunks_per_day, bool standard_only);

/// One reading as a naive one-reading JSON message:
/// {"series":"crane.load_kg","ts_ms":1700000000000,"value":1234.5}
std::string naive_json_message(std::string_view series, std::int64_t ts_ms, double value);
/// Size in bytes of naive_json_message(...).
std::int64_t naive_json_size(std::string_view series, std::int64_t ts_ms, double value);
/// Size of a JSON array of elements of these sizes: "[" a "," b "]".
std::int64_t json_array_size(std::span<const std::int64_t> element_sizes);
/// How many elements of `element_bytes` fit in one JSON array of at most `limit_bytes`
/// (0 if not even one).
std::int64_t json_array_capacity(std::int64_t element_bytes, std::int64_t limit_bytes);

/// How full bundles packed for one provider's budget come out.
struct BundleFill {
  double readings_per_bundle = 0.0;
  std::int64_t bundle_bytes = 0;
};

/// How one provider would carry the stream: its metering rule, the telemetry topic it would
/// publish on, and how full bundles packed for that rule's budget come out.
struct ProviderRoute {
  MeteringModel metering;
  std::string topic;
  BundleFill bundle;  ///< measured readings per bundle and payload bytes
};

/// A stream of readings and the three ways to ship it that the comparison contrasts.
struct StreamScenario {
  double readings_per_s = 0.0;
  ProviderRoute aws{.metering = MeteringModel::aws(), .topic = {}, .bundle = {}};
  ProviderRoute azure{.metering = MeteringModel::azure(""), .topic = {}, .bundle = {}};
  /// Naive: size of one one-reading JSON message (see naive_json_size), sent on the same topic.
  std::int64_t naive_message_bytes = 0;
  double days_per_month = 30.0;
  AwsPricing aws_pricing;
  /// Azure tier; empty: the cheapest standard tier for each way of shipping.
  std::optional<AzureTier> azure_tier;
};

/// What one way of shipping costs with one provider.
struct ShippingCost {
  std::string provider;  ///< "AWS IoT Core", "Azure IoT Hub"
  std::string method;    ///< "bundled", "naive JSON", "JSON array"
  std::string plan;      ///< "$1/M units", "S1 x 2"
  double readings_per_message = 0.0;
  MeteredSize metered;                 ///< one message as the provider meters it
  std::int64_t units_per_message = 0;  ///< AWS units or Azure blocks
  double messages_per_day = 0.0;
  double units_per_day = 0.0;
  double units_per_month = 0.0;
  double usd_per_month = 0.0;
};

/// Every provider x method combination for a stream, AWS first.
std::vector<ShippingCost> compare_stream_cost(const StreamScenario& scenario);

/// The comparison as a plain-text table with a summary line per provider, for `edgegw cost`.
std::string render_cost_table(const StreamScenario& scenario,
                              const std::vector<ShippingCost>& costs);

/// Snapshot of a BillingTally.
struct TallyTotals {
  std::int64_t publishes = 0;
  std::int64_t readings = 0;
  std::int64_t payload_bytes = 0;
  /// Units the provider bills for everything published, resends and alarms included.
  std::int64_t billable_units = 0;
  /// Units the same readings would have cost as one naive JSON message each (plus the same
  /// alarms, which a naive device sends too).
  std::int64_t naive_units = 0;
};

/// Running count of billable units for the configured provider, next to what one message per
/// reading would have cost. Thread-safe: the uplink adds, metrics and the API read.
class BillingTally {
 public:
  /// `naive_message_bytes`: the size of one naive JSON message for these readings;
  /// `telemetry_topic`: where a naive device would send each.
  BillingTally(MeteringModel metering, std::int64_t naive_message_bytes,
               std::string telemetry_topic);

  /// A bundle of `readings` readings was published (`readings` is 0 for a resend).
  void add_bundle(std::int64_t payload_bytes, const Envelope& envelope, std::int64_t readings);
  /// Anything else was published (an alarm, a command answer): a naive device sends it too.
  void add_message(std::int64_t payload_bytes, const Envelope& envelope);
  TallyTotals totals() const;
  /// naive_units / billable_units, or 0 before the first publish.
  double savings_factor() const;
  const MeteringModel& metering() const { return metering_; }

 private:
  MeteringModel metering_;
  std::int64_t naive_units_per_reading_;
  std::atomic<std::int64_t> publishes_{0};
  std::atomic<std::int64_t> readings_{0};
  std::atomic<std::int64_t> payload_bytes_{0};
  std::atomic<std::int64_t> billable_units_{0};
  std::atomic<std::int64_t> naive_units_{0};
};

}  // namespace edgegw::billing
