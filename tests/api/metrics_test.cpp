#include "gateway/api/metrics.h"

#include <gtest/gtest.h>

#include <array>
#include <boost/json.hpp>
#include <cstdlib>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "gateway/ingest/ingest.h"
#include "tests/missing_package.h"
#include "tests/temp_dir.h"

namespace edgegw::api {
namespace {

GatewayStatus sample_status() {
  GatewayStatus s;
  s.version = "1.2.3";
  s.gateway_id = "gw-01";
  s.provider = "aws";
  s.now_ms = 1'700'000'090'500;
  s.uptime_s = 3600;
  s.readings_accepted = 1000;
  s.readings_rejected = {{"not_finite", 3}, {"out_of_range", 2}};
  s.buffer.readings = 42;
  s.buffer.bytes = 65536;
  s.buffer.reserve_bytes_held = 2097152;
  s.buffer.append_commits = 77;
  s.buffer.storage_wakeups = 80;
  s.buffer.oldest_ts_ms = 1'700'000'000'000;
  s.buffer.alarms_pending = 1;
  s.buffer.dropped = {{"max_age", 5}, {"max_bytes", 0}, {"storage_full", 0}};
  s.buffer.alarms_dropped = {{"max_bytes", 0}};
  s.bundles_published = 11;
  s.bundles_acked = 10;
  s.bundle_payload_bytes = 51200;
  s.readings_acked = 958;
  s.billable_units = 10;
  s.naive_units = 958;
  s.uplink_connected = true;
  s.uplink_reconnects = 2;
  s.certificate = CertificateStatus{.file = "/var/lib/edgegw/identity/device.pem",
                                    .common_name = "gw-01",
                                    .not_after_ms = s.now_ms + 30LL * 86400 * 1000,
                                    .error = {}};
  s.inflight_bundles = 1;
  s.alarms_raised = 4;
  s.alarms_raised_by_kind = {{"theft", 3}, {"high_wind", 1}};
  s.alarms_published = 3;
  s.adapters = {{.name = "crane",
                 .type = "modbus",
                 .health = {.up = true, .errors = 7, .last_error = "timeout"}},
                {.name = "box \"A\"\\\nscale", .type = "hx711", .health = AdapterHealth{}}};
  constexpr std::array<double, 3> kByteBounds = {1024, 4096, 5120};
  s.bundle_bytes = Histogram(kByteBounds);
  for (double size : {800.0, 4000.0, 5000.0, 5000.0}) s.bundle_bytes.observe(size);
  constexpr std::array<double, 2> kLatencyBounds = {0.1, 1};
  s.bundle_latency_s = Histogram(kLatencyBounds);
  s.bundle_latency_s.observe(0.05);
  s.bundle_latency_s.observe(2.5);
  s.alarm_latency_s = Histogram(kLatencyBounds);
  s.alarm_latency_s.observe(0.02);
  return s;
}

ProcessStats sample_process() {
  return {.cpu_seconds = 12.5,
          .resident_bytes = 10'485'760,
          .virtual_bytes = 104'857'600,
          .open_fds = 17,
          .max_fds = 1024,
          .start_time_s = 1'699'996'490.25};
}

/// Every input filled: the status, no requests counted yet, and the process figures.
std::string render_sample() {
  return render_metrics(sample_status(), {}, sample_process());
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string family_of(const std::string& sample_line) {
  return sample_line.substr(0, sample_line.find_first_of("{ "));
}

/// name → TYPE, checking on the way that each family's HELP and TYPE come before its samples
/// and that a family's samples are not split up.
std::map<std::string, std::string> types_of(const std::string& text) {
  std::map<std::string, std::string> types;
  std::set<std::string> finished;
  std::string current;
  for (const auto& line : lines_of(text)) {
    if (line.starts_with("# HELP ")) {
      const auto name = line.substr(7, line.find(' ', 7) - 7);
      EXPECT_FALSE(types.contains(name)) << "family repeated: " << name;
      if (!current.empty()) finished.insert(current);
      current = name;
    } else if (line.starts_with("# TYPE ")) {
      std::istringstream words(line.substr(7));
      std::string name, type;
      words >> name >> type;
      EXPECT_EQ(name, current) << "TYPE without its HELP: " << line;
      types[name] = type;
    } else {
      std::string family = family_of(line);
      if (types.contains(current) && types.at(current) == "histogram") {
        for (std::string_view suffix : {"_bucket", "_sum", "_count"}) {
          if (family == current + std::string(suffix)) family = current;
        }
      }
      EXPECT_EQ(family, current) << "sample outside its family: " << line;
      EXPECT_TRUE(types.contains(current)) << "sample before TYPE: " << line;
      EXPECT_FALSE(finished.contains(family));
    }
  }
  return types;
}

bool has_line(const std::string& text, const std::string& line) {
  return text.starts_with(line + "\n") || text.find("\n" + line + "\n") != std::string::npos;
}

TEST(MetricsTest, StableNamesHaveTheirTypes) {
  const auto types = types_of(render_sample());
  const std::map<std::string, std::string> expected = {
      {"edgegw_readings_accepted_total", "counter"},
      {"edgegw_readings_rejected_total", "counter"},
      {"edgegw_readings_dropped_total", "counter"},
      {"edgegw_buffer_readings", "gauge"},
      {"edgegw_buffer_bytes", "gauge"},
      {"edgegw_buffer_reserve_bytes", "gauge"},
      {"edgegw_buffer_commits_total", "counter"},
      {"edgegw_storage_wakeups_total", "counter"},
      {"edgegw_buffer_oldest_age_seconds", "gauge"},
      {"edgegw_bundles_published_total", "counter"},
      {"edgegw_bundles_acked_total", "counter"},
      {"edgegw_bundle_payload_bytes", "histogram"},
      {"edgegw_publish_latency_seconds", "histogram"},
      {"edgegw_http_requests_total", "counter"},
      {"process_cpu_seconds_total", "counter"},
      {"process_resident_memory_bytes", "gauge"},
      {"process_virtual_memory_bytes", "gauge"},
      {"process_open_fds", "gauge"},
      {"process_max_fds", "gauge"},
      {"process_start_time_seconds", "gauge"},
      {"edgegw_inflight_bundles", "gauge"},
      {"edgegw_billable_units_total", "counter"},
      {"edgegw_naive_units_total", "counter"},
      {"edgegw_uplink_connected", "gauge"},
      {"edgegw_uplink_reconnects_total", "counter"},
      {"edgegw_cert_expiry_seconds", "gauge"},
      {"edgegw_alarms_raised_total", "counter"},
      {"edgegw_alarms_published_total", "counter"},
      {"edgegw_alarms_pending", "gauge"},
      {"edgegw_adapter_up", "gauge"},
      {"edgegw_adapter_errors_total", "counter"},
      {"edgegw_uptime_seconds", "gauge"},
      {"edgegw_build_info", "gauge"},
  };
  for (const auto& [name, type] : expected) {
    ASSERT_TRUE(types.contains(name)) << name;
    EXPECT_EQ(types.at(name), type) << name;
  }
}

TEST(MetricsTest, SamplesCarryTheStatusValues) {
  const auto text = render_sample();
  for (const char* line : {
           "edgegw_readings_accepted_total 1000",
           "edgegw_buffer_readings 42",
           "edgegw_buffer_bytes 65536",
           "edgegw_buffer_reserve_bytes 2097152",
           "edgegw_buffer_commits_total 77",
           "edgegw_storage_wakeups_total 80",
           "edgegw_buffer_oldest_age_seconds 90.5",
           "edgegw_bundles_published_total 11",
           "edgegw_bundles_acked_total 10",
           "edgegw_inflight_bundles 1",
           "edgegw_billable_units_total{provider=\"aws\"} 10",
           "edgegw_naive_units_total{provider=\"aws\"} 958",
           "edgegw_uplink_connected 1",
           "edgegw_uplink_reconnects_total 2",
           "edgegw_cert_expiry_seconds 2592000",
           "edgegw_alarms_raised_total{kind=\"theft\"} 3",
           "edgegw_alarms_raised_total{kind=\"high_wind\"} 1",
           "edgegw_alarms_published_total 3",
           "edgegw_alarms_pending 1",
           "edgegw_readings_dropped_total{reason=\"max_age\"} 5",
           "edgegw_readings_dropped_total{reason=\"storage_full\"} 0",
           "edgegw_adapter_up{adapter=\"crane\",type=\"modbus\"} 1",
           "edgegw_adapter_errors_total{adapter=\"crane\",type=\"modbus\"} 7",
           "edgegw_uptime_seconds 3600",
           "edgegw_build_info{version=\"1.2.3\",gateway_id=\"gw-01\"} 1",
           "process_cpu_seconds_total 12.5",
           "process_resident_memory_bytes 10485760",
           "process_virtual_memory_bytes 104857600",
           "process_open_fds 17",
           "process_max_fds 1024",
           "process_start_time_seconds 1699996490.25",
       }) {
    EXPECT_TRUE(has_line(text, line)) << line << "\n---\n" << text;
  }
}

TEST(MetricsTest, HistogramsHaveCumulativeBucketsSumAndCount) {
  const auto text = render_sample();
  for (const char* line : {
           "edgegw_bundle_payload_bytes_bucket{le=\"1024\"} 1",
           "edgegw_bundle_payload_bytes_bucket{le=\"4096\"} 2",
           "edgegw_bundle_payload_bytes_bucket{le=\"5120\"} 4",
           "edgegw_bundle_payload_bytes_bucket{le=\"+Inf\"} 4",
           "edgegw_bundle_payload_bytes_sum 14800",
           "edgegw_bundle_payload_bytes_count 4",
           "edgegw_publish_latency_seconds_bucket{lane=\"telemetry\",le=\"0.1\"} 1",
           "edgegw_publish_latency_seconds_bucket{lane=\"telemetry\",le=\"1\"} 1",
           "edgegw_publish_latency_seconds_bucket{lane=\"telemetry\",le=\"+Inf\"} 2",
           "edgegw_publish_latency_seconds_sum{lane=\"telemetry\"} 2.55",
           "edgegw_publish_latency_seconds_count{lane=\"telemetry\"} 2",
           "edgegw_publish_latency_seconds_bucket{lane=\"alarm\",le=\"0.1\"} 1",
           "edgegw_publish_latency_seconds_count{lane=\"alarm\"} 1",
       }) {
    EXPECT_TRUE(has_line(text, line)) << line << "\n---\n" << text;
  }
}

TEST(MetricsTest, HttpRequestsAreCountedByRouteTemplateAndCode) {
  RequestCounter counter;
  counter.count("/api/v1/sensors/{series}", 200);
  counter.count("/api/v1/sensors/{series}", 200);
  counter.count("/api/v1/sensors/{series}", 404);
  counter.count("", 408);
  const auto text = render_metrics(sample_status(), counter.snapshot());
  EXPECT_TRUE(has_line(
      text, R"(edgegw_http_requests_total{route="/api/v1/sensors/{series}",code="200"} 2)"))
      << text;
  EXPECT_TRUE(has_line(
      text, R"(edgegw_http_requests_total{route="/api/v1/sensors/{series}",code="404"} 1)"));
  EXPECT_TRUE(has_line(text, R"(edgegw_http_requests_total{route="none",code="408"} 1)"));
}

TEST(MetricsTest, ProcessFiguresTheKernelWouldNotGiveAreLeftOut) {
  const auto text = render_metrics(sample_status(), {}, ProcessStats{});  // every field -1
  EXPECT_EQ(text.find("process_"), std::string::npos) << text;
}

TEST(MetricsTest, EveryRejectReasonHasASeriesEvenAtZero) {
  const auto text = render_sample();
  for (std::size_t i = 0; i < kRejectReasonCount; ++i) {
    const auto reason = std::string(reject_reason_name(static_cast<RejectReason>(i)));
    const auto prefix = "edgegw_readings_rejected_total{reason=\"" + reason + "\"} ";
    EXPECT_NE(text.find("\n" + prefix), std::string::npos) << reason;
  }
  EXPECT_TRUE(has_line(text, "edgegw_readings_rejected_total{reason=\"not_finite\"} 3"));
  EXPECT_TRUE(has_line(text, "edgegw_readings_rejected_total{reason=\"stale_timestamp\"} 0"));
}

TEST(MetricsTest, LabelValuesAreEscaped) {
  EXPECT_EQ(escape_label_value(R"(a"b\c)"
                               "\n"),
            R"(a\"b\\c\n)");
  const auto text = render_sample();
  EXPECT_TRUE(has_line(text, R"(edgegw_adapter_up{adapter="box \"A\"\\\nscale",type="hx711"} 0)"))
      << text;
}

TEST(MetricsTest, EmptyBufferHasZeroOldestAge) {
  GatewayStatus status;
  status.now_ms = 1'700'000'000'000;
  const auto text = render_metrics(status);
  EXPECT_TRUE(has_line(text, "edgegw_buffer_oldest_age_seconds 0"));
  EXPECT_TRUE(has_line(text, "edgegw_uplink_connected 0"));
  types_of(text);  // well formed with no adapters and no drop reasons too
}

TEST(MetricsTest, EndsWithANewline) {
  const auto text = render_sample();
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
}

/// Every string in a JSON document, depth first (the dashboard's queries among them).
void collect_strings(const boost::json::value& value, std::vector<std::string>& out) {
  if (value.is_string()) out.emplace_back(value.as_string());
  if (value.is_array()) {
    for (const auto& item : value.as_array()) collect_strings(item, out);
  }
  if (value.is_object()) {
    for (const auto& [key, item] : value.as_object()) collect_strings(item, out);
  }
}

TEST(MetricsTest, TheGrafanaDashboardQueriesOnlyMetricsTheGatewayExports) {
  std::ifstream file(EDGEGW_SOURCE_DIR "/deploy/grafana/edgegw.json");
  ASSERT_TRUE(file) << "deploy/grafana/edgegw.json";
  std::stringstream text;
  text << file.rdbuf();
  std::vector<std::string> strings;
  collect_strings(boost::json::parse(text.str()), strings);

  const auto types = types_of(render_sample());
  const std::regex metric_name(R"(\b(edgegw|process)_[a-z_]+)");
  std::size_t queried = 0;
  for (const auto& query : strings) {
    for (std::sregex_iterator it(query.begin(), query.end(), metric_name), end; it != end; ++it) {
      std::string name = it->str();
      for (std::string_view suffix : {"_bucket", "_sum", "_count"}) {
        const auto base = name.substr(0, name.size() - std::min(name.size(), suffix.size()));
        if (name.ends_with(suffix) && types.contains(base) && types.at(base) == "histogram") {
          name = base;
        }
      }
      EXPECT_TRUE(types.contains(name)) << name << " in: " << query;
      ++queried;
    }
  }
  EXPECT_GT(queried, 20u) << "the dashboard's queries were found";
}

/// The exposition checked by Prometheus's own linter, promtool (Debian package prometheus).
TEST(MetricsTest, PromtoolAcceptsTheOutput) {
  if (std::system("command -v promtool > /dev/null 2>&1") != 0) {
    return missing_package("prometheus", "promtool is not on PATH");
  }
  TempDir dir;
  {
    std::ofstream out(dir.file("metrics.txt"));
    out << render_sample();
  }
  const auto command = "promtool check metrics < " + dir.file("metrics.txt") + " > " +
                       dir.file("promtool.out") + " 2>&1";
  const int rc = std::system(command.c_str());
  std::ifstream report(dir.file("promtool.out"));
  const std::string output((std::istreambuf_iterator<char>(report)), {});
  EXPECT_EQ(rc, 0) << output;
  EXPECT_EQ(output, "") << "promtool lint findings";
}

}  // namespace
}  // namespace edgegw::api
