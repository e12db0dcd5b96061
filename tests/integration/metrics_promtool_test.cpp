// /metrics scraped from a running gateway and checked by Prometheus' own promtool.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <fstream>

#include "gateway/gateway.h"
#include "tests/http_client.h"
#include "tests/temp_dir.h"
#include "tests/wait_for.h"

namespace edgegw {
namespace {

struct CommandOutput {
  int exit_code = -1;
  std::string text;
};

CommandOutput run_command(const std::string& command) {
  CommandOutput out;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return out;
  std::array<char, 4096> chunk{};
  while (std::size_t n = std::fread(chunk.data(), 1, chunk.size(), pipe))
    out.text.append(chunk.data(), n);
  int status = ::pclose(pipe);
  out.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

TEST(MetricsEndpoint, ALiveScrapePassesPromtool) {
  ASSERT_EQ(run_command("command -v promtool").exit_code, 0)
      << "promtool is missing: scripts/install-deps.sh installs it (Debian package prometheus)";
  TempDir dir;
  GatewayConfig config;
  config.gateway.gateway_id = "gw-metrics";
  config.storage.path = dir.file("buffer.db");
  config.storage.synchronous = "normal";
  config.uplink.directory = dir.file("outbox");
  config.api.listen = "127.0.0.1:0";
  config.bundle.max_latency_s = 1;
  config.adapters.push_back(
      {.type = "simulator", .name = "crane", .values = {{"profile", std::string("crane")}}});
  config.adapters.push_back(
      {.type = "simulator",
       .name = "chocolate",
       .values = {{"profile", std::string("chocolate")}, {"theft_interval_s", 1.0}}});
  SystemClock clock;
  Gateway gateway(config, clock);
  gateway.start();
  // Scrape once there is something to count: bundles, an alarm, a rejected reading.
  auto rejected =
      http_request(gateway.api_port(), boost::beast::http::verb::post, "/api/v1/readings",
                   R"({"readings":[{"series":"x","ts_ms":1,"value":1}]})");
  EXPECT_EQ(rejected.status, 400);
  ASSERT_TRUE(wait_for([&] {
    auto s = gateway.status();
    return s.bundles_acked >= 1 && s.alarms_raised >= 1;
  })) << gateway.status_line();
  auto scrape = http_request(gateway.api_port(), boost::beast::http::verb::get, "/metrics");
  gateway.stop();
  ASSERT_EQ(scrape.status, 200);
  const auto file = dir.file("scrape.txt");
  std::ofstream(file) << scrape.body;
  auto check = run_command("promtool check metrics < " + file);
  EXPECT_EQ(check.exit_code, 0) << check.text << "\n" << scrape.body;
  // Families with live values: a bundle was acknowledged, a theft alarm raised, a request
  // refused, and the kernel knows the process.
  for (const char* sample :
       {"edgegw_readings_accepted_total ", "edgegw_buffer_readings ", "edgegw_bundles_acked_total ",
        "edgegw_uplink_connected ", "edgegw_alarms_raised_total{kind=\"theft\"} ",
        "edgegw_bundle_payload_bytes_bucket{le=\"5120\"} ",
        "edgegw_publish_latency_seconds_count{lane=\"telemetry\"} ",
        "edgegw_http_requests_total{route=\"/api/v1/readings\",code=\"400\"} 1",
        "edgegw_adapter_up{adapter=\"crane\",type=\"simulator\"} 1",
        "process_resident_memory_bytes ", "process_cpu_seconds_total ", "process_open_fds "}) {
    EXPECT_NE(scrape.body.find(std::string("\n") + sample), std::string::npos) << sample;
  }
}

}  // namespace
}  // namespace edgegw
