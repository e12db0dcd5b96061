#include "gateway/api/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "gateway/ingest/ingest.h"

namespace edgegw::api {
namespace {

using Labels = std::vector<std::pair<std::string_view, std::string_view>>;

/// Appends one metric family at a time so a family's HELP, TYPE and samples stay together, as
/// the format requires.
class Exposition {
 public:
  void family(std::string_view name, std::string_view type, std::string_view help) {
    name_ = name;
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    append_help(help);
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }

  template <class Number>
  void sample(Number value, const Labels& labels = {}) {
    out_ += name_;
    if (!labels.empty()) {
      out_ += '{';
      bool first = true;
      for (const auto& [label, label_value] : labels) {
        if (!first) out_ += ',';
        first = false;
        out_ += label;
        out_ += "=\"";
        out_ += escape_label_value(label_value);
        out_ += '"';
      }
      out_ += '}';
    }
    out_ += ' ';
    append_number(value);
    out_ += '\n';
  }

  template <class Number>
  void single(std::string_view name, std::string_view type, std::string_view help, Number value) {
    family(name, type, help);
    sample(value);
  }

  std::string take() { return std::move(out_); }

 private:
  void append_help(std::string_view help) {
    // HELP text escapes only backslash and newline.
    for (char c : help) {
      if (c == '\\') {
        out_ += "\\\\";
      } else if (c == '\n') {
        out_ += "\\n";
      } else {
        out_ += c;
      }
    }
  }

  template <class Number>
  void append_number(Number value) {
    if constexpr (std::is_floating_point_v<Number>) {
      if (std::isnan(value)) {
        out_ += "NaN";
        return;
      }
      if (std::isinf(value)) {
        out_ += value > 0 ? "+Inf" : "-Inf";
        return;
      }
    }
    char buffer[64];
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
    out_.append(buffer, end);
  }

  std::string out_;
  std::string_view name_;
};

}  // namespace

std::string escape_label_value(std::string_view value) {
  std::string escaped;
  escaped.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '\\':
        escaped += "\\\\";
        break;
      case '"':
        escaped += "\\\"";
        break;
      case '\n':
        escaped += "\\n";
        break;
      default:
        escaped += c;
    }
  }
  return escaped;
}

std::string render_metrics(const GatewayStatus& s) {
  Exposition m;

  m.single("edgegw_readings_accepted_total", "counter",
           "Readings durably accepted into the buffer.", s.readings_accepted);

  // Every reason gets a series, even at 0, so rate() works from the first scrape; a reason the
  // gateway reports that this build does not know still shows up.
  std::map<std::string, std::uint64_t, std::less<>> rejected;
  for (std::size_t i = 0; i < kRejectReasonCount; ++i) {
    rejected[std::string(reject_reason_name(static_cast<RejectReason>(i)))] = 0;
  }
  for (const auto& [reason, count] : s.readings_rejected) rejected[reason] = count;
  m.family("edgegw_readings_rejected_total", "counter", "Readings rejected, by reason.");
  for (const auto& [reason, count] : rejected) m.sample(count, {{"reason", reason}});

  m.single("edgegw_readings_acked_total", "counter", "Readings in bundles the cloud acknowledged.",
           s.readings_acked);

  m.family("edgegw_readings_dropped_total", "counter",
           "Accepted telemetry readings dropped by retention before upload, by reason.");
  for (const auto& [reason, count] : s.buffer.dropped) m.sample(count, {{"reason", reason}});

  m.family("edgegw_alarms_dropped_total", "counter",
           "Alarms dropped by retention before upload, by reason.");
  for (const auto& [reason, count] : s.buffer.alarms_dropped) {
    m.sample(count, {{"reason", reason}});
  }

  m.single("edgegw_buffer_readings", "gauge",
           "Readings accepted and not yet acknowledged by the cloud.", s.buffer.readings);
  m.single("edgegw_buffer_bytes", "gauge", "Bytes the buffer database uses.", s.buffer.bytes);
  const double oldest_age_s =
      s.buffer.oldest_ts_ms > 0
          ? std::max<double>(0.0, static_cast<double>(s.now_ms - s.buffer.oldest_ts_ms) / 1000.0)
          : 0.0;
  m.single("edgegw_buffer_oldest_age_seconds", "gauge",
           "Age of the oldest buffered reading by its timestamp; 0 when the buffer is empty.",
           oldest_age_s);

  m.single("edgegw_bundles_published_total", "counter",
           "Bundle publishes started, resends included.", s.bundles_published);
  m.single("edgegw_bundles_acked_total", "counter", "Bundles the broker acknowledged.",
           s.bundles_acked);
  m.single("edgegw_bundle_payload_bytes_total", "counter", "Payload bytes of acknowledged bundles.",
           s.bundle_payload_bytes);
  m.single("edgegw_inflight_bundles", "gauge", "Bundles published and not yet acknowledged.",
           s.inflight_bundles);

  m.family("edgegw_billable_units_total", "counter",
           "Metering units the provider bills for the bundles sent.");
  m.sample(s.billable_units, {{"provider", s.provider}});
  m.family("edgegw_naive_units_total", "counter",
           "Metering units the same readings would cost sent one per message.");
  m.sample(s.naive_units, {{"provider", s.provider}});

  m.single("edgegw_uplink_connected", "gauge", "1 while connected to the broker, else 0.",
           s.uplink_connected ? 1 : 0);
  m.single("edgegw_uplink_reconnects_total", "counter", "Reconnects to the broker.",
           s.uplink_reconnects);

  m.single("edgegw_alarms_raised_total", "counter", "Alarms raised by the rules.", s.alarms_raised);
  m.single("edgegw_alarms_published_total", "counter", "Alarms the broker acknowledged.",
           s.alarms_published);
  m.single("edgegw_alarms_pending", "gauge", "Alarms stored and not yet acknowledged.",
           s.buffer.alarms_pending);

  m.family("edgegw_adapter_up", "gauge", "1 while the adapter reads its source, else 0.");
  for (const auto& adapter : s.adapters) {
    m.sample(adapter.up ? 1 : 0, {{"adapter", adapter.name}, {"type", adapter.type}});
  }
  m.family("edgegw_adapter_errors_total", "counter", "Errors the adapter met reading its source.");
  for (const auto& adapter : s.adapters) {
    m.sample(adapter.errors, {{"adapter", adapter.name}, {"type", adapter.type}});
  }

  m.single("edgegw_uptime_seconds", "gauge", "Seconds since the gateway started.", s.uptime_s);
  m.family("edgegw_build_info", "gauge", "Always 1; the labels name the running build.");
  m.sample(1, {{"version", s.version}, {"gateway_id", s.gateway_id}});
  return m.take();
}

}  // namespace edgegw::api
