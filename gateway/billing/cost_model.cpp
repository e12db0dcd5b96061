#include "gateway/billing/cost_model.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <numeric>

namespace edgegw::billing {
namespace {

/// "1234567.891" -> "1,234,567.89" with `decimals` places: tables stay readable at a glance.
std::string grouped(double value, int decimals) {
  std::array<char, 64> buffer{};
  const auto printed = std::to_chars(buffer.data(), buffer.data() + buffer.size(), std::abs(value),
                                     std::chars_format::fixed, decimals);
  std::string digits(buffer.data(), printed.ptr);
  const auto point = digits.find('.');
  std::string whole = digits.substr(0, point);
  const std::string fraction = point == std::string::npos ? "" : digits.substr(point);
  std::string out;
  for (std::size_t i = 0; i < whole.size(); ++i) {
    if (i > 0 && (whole.size() - i) % 3 == 0) out += ',';
    out += whole[i];
  }
  return (value < 0 && std::round(std::abs(value) * std::pow(10, decimals)) != 0 ? "-" : "") + out +
         fraction;
}

std::string shortest(double value) {
  std::array<char, 32> buffer{};
  const auto printed = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  return {buffer.data(), printed.ptr};
}

std::string pad_left(const std::string& text, std::size_t width) {
  return text.size() >= width ? text : std::string(width - text.size(), ' ') + text;
}
std::string pad_right(const std::string& text, std::size_t width) {
  return text.size() >= width ? text : text + std::string(width - text.size(), ' ');
}

std::string usd(double amount) {
  return "$" + grouped(amount, 2);
}

struct Method {
  std::string name;
  double readings_per_message;
  std::int64_t payload_bytes;
};

/// The parts both providers share: what one message is metered at and how many go per day.
ShippingCost route_cost(const StreamScenario& s, const ProviderRoute& route, const Method& m) {
  ShippingCost c;
  c.method = m.name;
  c.readings_per_message = m.readings_per_message;
  const Envelope envelope{.topic = route.topic};
  c.metered = route.metering.metered(m.payload_bytes, envelope);
  c.units_per_message = route.metering.units(m.payload_bytes, envelope);
  c.messages_per_day = s.readings_per_s * kSecondsPerDay / m.readings_per_message;
  c.units_per_day = c.messages_per_day * static_cast<double>(c.units_per_message);
  c.units_per_month = c.units_per_day * s.days_per_month;
  return c;
}

ShippingCost aws_cost(const StreamScenario& s, const Method& m) {
  ShippingCost c = route_cost(s, s.aws, m);
  c.provider = "AWS IoT Core";
  c.usd_per_month = aws_cost_usd(c.units_per_month, s.aws_pricing);
  c.plan = "$" + shortest(s.aws_pricing.usd_per_million_units) + "/M units" +
           (s.aws_pricing.basic_ingest ? ", Basic Ingest" : "");
  return c;
}

ShippingCost azure_cost(const StreamScenario& s, const Method& m) {
  ShippingCost c = route_cost(s, s.azure, m);
  c.provider = "Azure IoT Hub";
  const AzureTier tier = s.azure_tier.value_or(cheapest_azure_tier(c.units_per_day, true));
  const std::int64_t hubs = azure_units_needed(c.units_per_day, tier);
  c.usd_per_month = azure_monthly_cost_usd(c.units_per_day, tier);
  c.plan = std::string(azure_tier_info(tier).name) + " x " + std::to_string(hubs);
  return c;
}

}  // namespace

bool is_basic_ingest_topic(std::string_view topic) {
  return topic.starts_with("$aws/rules/");
}

double aws_cost_usd(double units, const AwsPricing& pricing) {
  if (pricing.basic_ingest) return 0.0;
  return units * pricing.usd_per_million_units / 1e6;
}

const std::vector<AzureTierInfo>& azure_tiers() {
  static const std::vector<AzureTierInfo> tiers = {
      {AzureTier::b1, "B1", 400'000, 10.0},      {AzureTier::b2, "B2", 6'000'000, 50.0},
      {AzureTier::b3, "B3", 300'000'000, 500.0}, {AzureTier::s1, "S1", 400'000, 25.0},
      {AzureTier::s2, "S2", 6'000'000, 250.0},   {AzureTier::s3, "S3", 300'000'000, 2500.0},
  };
  return tiers;
}

const AzureTierInfo& azure_tier_info(AzureTier tier) {
  return azure_tiers()[static_cast<std::size_t>(tier)];
}

std::optional<AzureTier> parse_azure_tier(std::string_view name) {
  for (const auto& info : azure_tiers()) {
    if (name.size() == 2 && (name[0] == info.name[0] || name[0] == info.name[0] + ('a' - 'A')) &&
        name[1] == info.name[1]) {
      return info.tier;
    }
  }
  return std::nullopt;
}

std::int64_t azure_units_needed(double chunks_per_day, AzureTier tier) {
  const auto quota = static_cast<double>(azure_tier_info(tier).messages_per_unit_per_day);
  return std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(chunks_per_day / quota)));
}

double azure_monthly_cost_usd(double chunks_per_day, AzureTier tier) {
  return static_cast<double>(azure_units_needed(chunks_per_day, tier)) *
         azure_tier_info(tier).usd_per_unit_month;
}

AzureTier cheapest_azure_tier(double chunks_per_day, bool standard_only) {
  std::optional<AzureTier> best;
  for (const auto& info : azure_tiers()) {
    const bool standard = info.name[0] == 'S';
    if (standard_only && !standard) continue;
    if (!best || azure_monthly_cost_usd(chunks_per_day, info.tier) <
                     azure_monthly_cost_usd(chunks_per_day, *best)) {
      best = info.tier;
    }
  }
  return *best;
}

std::string naive_json_message(std::string_view series, std::int64_t ts_ms, double value) {
  std::string out = "{\"series\":\"";
  for (char c : series) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      constexpr std::string_view kHex = "0123456789abcdef";
      out += "\\u00";
      out += kHex[static_cast<unsigned char>(c) >> 4];
      out += kHex[static_cast<unsigned char>(c) & 0xf];
    } else {
      out += c;
    }
  }
  out += "\",\"ts_ms\":" + std::to_string(ts_ms) + ",\"value\":";
  if (std::isfinite(value)) {
    // Shortest text that reads back as the same double, as a JSON encoder would write it.
    out += shortest(value);
  } else {
    out += "null";
  }
  out += '}';
  return out;
}

std::int64_t naive_json_size(std::string_view series, std::int64_t ts_ms, double value) {
  return static_cast<std::int64_t>(naive_json_message(series, ts_ms, value).size());
}

std::int64_t json_array_size(std::span<const std::int64_t> element_sizes) {
  if (element_sizes.empty()) return 2;
  const std::int64_t sum =
      std::accumulate(element_sizes.begin(), element_sizes.end(), std::int64_t{0});
  return 2 + sum + static_cast<std::int64_t>(element_sizes.size()) - 1;
}

std::int64_t json_array_capacity(std::int64_t element_bytes, std::int64_t limit_bytes) {
  // n elements take 2 + n * element + (n - 1) bytes.
  if (element_bytes <= 0 || limit_bytes < element_bytes + 2) return 0;
  return (limit_bytes - 1) / (element_bytes + 1);
}

std::vector<ShippingCost> compare_stream_cost(const StreamScenario& s) {
  const Method naive{"naive JSON", 1.0, s.naive_message_bytes};
  auto bundled = [](const ProviderRoute& route) {
    return Method{"bundled", route.bundle.readings_per_bundle, route.bundle.bundle_bytes};
  };
  // As many naive messages as one unit holds, in one JSON array.
  auto array_method = [&](const ProviderRoute& route) {
    const std::int64_t limit = route.metering.payload_budget({.topic = route.topic});
    const std::int64_t n =
        std::max<std::int64_t>(1, json_array_capacity(s.naive_message_bytes, limit));
    const std::int64_t bytes = n * (s.naive_message_bytes + 1) + 1;
    return Method{"JSON array", static_cast<double>(n), bytes};
  };
  return {
      aws_cost(s, bundled(s.aws)),     aws_cost(s, array_method(s.aws)),     aws_cost(s, naive),
      azure_cost(s, bundled(s.azure)), azure_cost(s, array_method(s.azure)), azure_cost(s, naive),
  };
}

std::string render_cost_table(const StreamScenario& s, const std::vector<ShippingCost>& costs) {
  std::string out = "Stream: " + grouped(s.readings_per_s, 1) + " readings/s (" +
                    grouped(s.readings_per_s * kSecondsPerDay, 0) + "/day), " +
                    grouped(s.days_per_month, 0) + "-day month\n" + s.aws.metering.describe() +
                    "\n" + s.azure.metering.describe() +
                    "\nbytes/msg is as metered. List prices, check before quoting.\n\n";
  const std::array<std::pair<const char*, std::size_t>, 10> columns = {{{"provider", 14},
                                                                        {"method", 11},
                                                                        {"readings/msg", 12},
                                                                        {"bytes/msg", 9},
                                                                        {"units/msg", 9},
                                                                        {"msgs/day", 13},
                                                                        {"units/day", 13},
                                                                        {"units/month", 15},
                                                                        {"plan", 20},
                                                                        {"USD/month", 12}}};
  for (std::size_t i = 0; i < columns.size(); ++i) {
    const auto& [title, width] = columns[i];
    out += i < 2 || i == 8 ? pad_right(title, width) : pad_left(title, width);
    out += i + 1 < columns.size() ? "  " : "\n";
  }
  for (const auto& c : costs) {
    const std::array<std::string, 10> cells = {c.provider,
                                               c.method,
                                               grouped(c.readings_per_message, 1),
                                               grouped(static_cast<double>(c.metered.total()), 0),
                                               grouped(static_cast<double>(c.units_per_message), 0),
                                               grouped(c.messages_per_day, 0),
                                               grouped(c.units_per_day, 0),
                                               grouped(c.units_per_month, 0),
                                               c.plan,
                                               usd(c.usd_per_month)};
    for (std::size_t i = 0; i < cells.size(); ++i) {
      const std::size_t width = columns[i].second;
      out += i < 2 || i == 8 ? pad_right(cells[i], width) : pad_left(cells[i], width);
      out += i + 1 < cells.size() ? "  " : "\n";
    }
  }
  out += '\n';
  for (const auto& bundled : costs) {
    if (bundled.method != "bundled") continue;
    for (const auto& naive : costs) {
      if (naive.provider != bundled.provider || naive.method != "naive JSON") continue;
      const double factor =
          bundled.units_per_day > 0 ? naive.units_per_day / bundled.units_per_day : 0;
      out += bundled.provider + ": bundling bills " + grouped(factor, 1) +
             "x fewer units than naive JSON; " + usd(bundled.usd_per_month) + " vs " +
             usd(naive.usd_per_month) + " per month\n";
    }
  }
  return out;
}

BillingTally::BillingTally(MeteringModel metering, std::int64_t naive_message_bytes,
                           std::string telemetry_topic)
    : metering_(std::move(metering)),
      naive_units_per_reading_(metering_.units(naive_message_bytes, {.topic = telemetry_topic})) {}

void BillingTally::add_bundle(std::int64_t payload_bytes, const Envelope& envelope,
                              std::int64_t readings) {
  constexpr auto relaxed = std::memory_order_relaxed;
  publishes_.fetch_add(1, relaxed);
  readings_.fetch_add(readings, relaxed);
  payload_bytes_.fetch_add(payload_bytes, relaxed);
  billable_units_.fetch_add(metering_.units(payload_bytes, envelope), relaxed);
  naive_units_.fetch_add(readings * naive_units_per_reading_, relaxed);
}

void BillingTally::add_message(std::int64_t payload_bytes, const Envelope& envelope) {
  constexpr auto relaxed = std::memory_order_relaxed;
  const std::int64_t units = metering_.units(payload_bytes, envelope);
  publishes_.fetch_add(1, relaxed);
  payload_bytes_.fetch_add(payload_bytes, relaxed);
  billable_units_.fetch_add(units, relaxed);
  naive_units_.fetch_add(units, relaxed);
}

TallyTotals BillingTally::totals() const {
  constexpr auto relaxed = std::memory_order_relaxed;
  return {publishes_.load(relaxed), readings_.load(relaxed), payload_bytes_.load(relaxed),
          billable_units_.load(relaxed), naive_units_.load(relaxed)};
}

double BillingTally::savings_factor() const {
  const TallyTotals t = totals();
  if (t.billable_units == 0) return 0.0;
  return static_cast<double>(t.naive_units) / static_cast<double>(t.billable_units);
}

}  // namespace edgegw::billing
