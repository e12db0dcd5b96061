// /metrics scraped from a running gateway and checked by Prometheus' own promtool.
#include <gtest/gtest.h>

#include <fstream>

#include "gateway/gateway.h"
#include "tests/http_client.h"
#include "tests/integration/demo_rules.h"
#include "tests/integration/local_gateway_config.h"
#include "tests/missing_package.h"
#include "tests/run_command.h"
#include "tests/temp_dir.h"
#include "tests/wait_for.h"

namespace edgegw {
namespace {

TEST(MetricsEndpoint, ALiveScrapePassesPromtool) {
  if (run_command("command -v promtool").exit_code != 0) {
    return missing_package("prometheus", "promtool is not on PATH");
  }
  TempDir dir;
  GatewayConfig config = directory_uplink_config(dir, "gw-metrics");
  add_demo_sites(config);  // the theft alarm comes from the demo's rules
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
  auto check = run_command("promtool check metrics < " + file + " 2>&1");
  EXPECT_EQ(check.exit_code, 0) << check.output << "\n" << scrape.body;
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
