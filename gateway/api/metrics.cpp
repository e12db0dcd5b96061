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
    sample_as(name_, value, labels);
  }

  template <class Number>
  void sample_as(std::string_view name, Number value, const Labels& labels) {
    out_ += name;
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

  /// A histogram's _bucket, _sum and _count samples, under the current family.
  void histogram(const Histogram& h, const Labels& labels = {}) {
    const std::string name(name_);
    const auto& bounds = h.upper_bounds();
    Labels with_le = labels;
    with_le.emplace_back("le", "");
    char bound[32];
    for (std::size_t i = 0; i <= bounds.size(); ++i) {
      if (i < bounds.size()) {
        auto [end, ec] = std::to_chars(bound, bound + sizeof bound, bounds[i]);
        with_le.back().second = std::string_view(bound, static_cast<std::size_t>(end - bound));
      } else {
        with_le.back().second = "+Inf";
      }
      sample_as(name + "_bucket", h.cumulative(i), with_le);
    }
    sample_as(name + "_sum", h.sum(), labels);
    sample_as(name + "_count", h.count(), labels);
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

std::string render_metrics(const GatewayStatus& s,
                           const std::vector<RequestCounter::Count>& requests,
                           const ProcessStats& p) {
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
  m.single("edgegw_buffer_reserve_bytes", "gauge",
           "Bytes of the full-disk reserve held; 0 while the filesystem is full and it is in use.",
           s.buffer.reserve_bytes_held);
  m.single("edgegw_buffer_commits_total", "counter",
           "Transactions that committed accepted readings; each writes and syncs the WAL.",
           s.buffer.append_commits);
  m.single("edgegw_storage_wakeups_total", "counter",
           "Times the storage thread woke up to commit, tend retention or run a task.",
           s.buffer.storage_wakeups);
  const double oldest_age_s = static_cast<double>(s.oldest_age_ms()) / 1000.0;
  m.single("edgegw_buffer_oldest_age_seconds", "gauge",
           "Age of the oldest buffered reading by its timestamp; 0 when the buffer is empty.",
           oldest_age_s);

  m.single("edgegw_bundles_published_total", "counter",
           "Bundle publishes started, resends included.", s.bundles_published);
  m.single("edgegw_bundles_acked_total", "counter", "Bundles the broker acknowledged.",
           s.bundles_acked);
  m.family("edgegw_bundle_payload_bytes", "histogram",
           "Payload size of each acknowledged bundle (_sum: all payload bytes).");
  m.histogram(s.bundle_bytes);
  m.family("edgegw_publish_latency_seconds", "histogram",
           "From handing a bundle or alarm to the transport to its acknowledgement, by lane.");
  m.histogram(s.alarm_latency_s, {{"lane", "alarm"}});
  m.histogram(s.bundle_latency_s, {{"lane", "telemetry"}});
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
  if (s.certificate && s.certificate->error.empty()) {
    m.single("edgegw_cert_expiry_seconds", "gauge",
             "Seconds until the uplink's client certificate runs out (negative: it has).",
             (s.certificate->not_after_ms - s.now_ms) / 1000);
  }
  if (s.certificate && s.certificate->renewal) {
    m.family("edgegw_cert_renewals_total", "counter",
             "Renewals of the device certificate, by outcome: renewed (the new certificate is "
             "in use) or failed (the old one stays; see /api/v1/status uplink.certificate).");
    m.sample(s.certificate->renewal->renewed, {{"outcome", "renewed"}});
    m.sample(s.certificate->renewal->failed, {{"outcome", "failed"}});
  }
  if (s.jobs) {
    m.family("edgegw_jobs_total", "counter",
             "Remote jobs finished, by the status reported to the cloud: SUCCEEDED, FAILED "
             "(refused or went wrong; the reason is in the job's statusDetails), REJECTED.");
    for (const char* status : {"SUCCEEDED", "FAILED", "REJECTED"}) {
      const auto found = s.jobs->finished.find(status);
      m.sample(found == s.jobs->finished.end() ? 0 : found->second, {{"status", status}});
    }
  }
  m.single("edgegw_publishes_refused_total", "counter",
           "Publishes the broker refused for good (MQTT 5 reason code 0x80 or above); the "
           "messages are kept and sent again after uplink.refused_retry_s.",
           s.publishes_refused);

  m.family("edgegw_commands_total", "counter",
           "Commands from the cloud answered, by status (200, 400 malformed, 404 unknown, 500).");
  for (const auto& [code, count] : s.commands.by_status) {
    m.sample(count, {{"status", std::to_string(code)}});
  }
  m.single("edgegw_commands_duplicate_total", "counter",
           "Command requests whose id was seen within five minutes: answered again, not run.",
           s.commands.duplicates);
  m.single("edgegw_commands_dropped_total", "counter",
           "Command requests dropped unanswered: malformed, with no id to answer under.",
           s.commands.dropped);

  m.family("edgegw_alarms_raised_total", "counter", "Alarms raised and stored, by kind.");
  for (const auto& [kind, count] : s.alarms_raised_by_kind) m.sample(count, {{"kind", kind}});
  m.single("edgegw_alarms_published_total", "counter", "Alarms the broker acknowledged.",
           s.alarms_published);
  m.single("edgegw_alarms_pending", "gauge", "Alarms stored and not yet acknowledged.",
           s.buffer.alarms_pending);

  m.family("edgegw_adapter_up", "gauge", "1 while the adapter reads its source, else 0.");
  for (const auto& adapter : s.adapters) {
    m.sample(adapter.health.up ? 1 : 0, {{"adapter", adapter.name}, {"type", adapter.type}});
  }
  m.family("edgegw_adapter_errors_total", "counter", "Errors the adapter met reading its source.");
  for (const auto& adapter : s.adapters) {
    m.sample(adapter.health.errors, {{"adapter", adapter.name}, {"type", adapter.type}});
  }

  m.family("edgegw_http_requests_total", "counter",
           "API responses sent, by route template (\"none\": unknown path or refused before "
           "routing) and status code.");
  for (const auto& request : requests) {
    const std::string code = std::to_string(request.status);
    m.sample(request.count, {{"route", request.route}, {"code", code}});
  }

  // Anything the kernel would not tell is left out rather than shown as a false 0.
  if (p.cpu_seconds >= 0) {
    m.single("process_cpu_seconds_total", "counter", "User and system CPU time spent in seconds.",
             p.cpu_seconds);
  }
  if (p.resident_bytes >= 0) {
    m.single("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.",
             p.resident_bytes);
  }
  if (p.virtual_bytes >= 0) {
    m.single("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.",
             p.virtual_bytes);
  }
  if (p.open_fds >= 0) {
    m.single("process_open_fds", "gauge", "Number of open file descriptors.", p.open_fds);
  }
  if (p.max_fds >= 0) {
    m.single("process_max_fds", "gauge", "Maximum number of open file descriptors.", p.max_fds);
  }
  if (p.start_time_s >= 0) {
    m.single("process_start_time_seconds", "gauge",
             "Start time of the process since the Unix epoch in seconds.", p.start_time_s);
  }

  m.single("edgegw_uptime_seconds", "gauge", "Seconds since the gateway started.", s.uptime_s);
  m.family("edgegw_build_info", "gauge", "Always 1; the labels name the running build.");
  m.sample(1, {{"version", s.version}, {"gateway_id", s.gateway_id}});
  return m.take();
}

}  // namespace edgegw::api
