// The Grafana dashboard's queries against the real engine: Debian's Prometheus scrapes a
// running gateway with deploy/prometheus/prometheus.yml (the target and intervals set for the
// test), and every query of deploy/grafana/edgegw.json, Grafana's variables filled in as
// Grafana would, is evaluated through Prometheus's HTTP API and must return data. Grafana
// itself is not packaged for Debian; a query that names a metric the gateway does not export,
// or a label it does not carry, returns nothing and fails here.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <boost/json.hpp>
#include <fstream>
#include <regex>

#include "gateway/gateway.h"
#include "tests/http_client.h"
#include "tests/integration/broker/mosquitto_broker.h"
#include "tests/integration/child_process.h"
#include "tests/integration/demo_rules.h"
#include "tests/integration/local_gateway_config.h"
#include "tests/missing_package.h"
#include "tests/read_file.h"
#include "tests/temp_dir.h"
#include "tests/wait_for.h"

namespace edgegw {
namespace {

namespace json = boost::json;
namespace http = boost::beast::http;

constexpr const char* kPrometheus = "/usr/bin/prometheus";

/// Every panel's target expressions, rows' panels included.
void collect_queries(const json::array& panels, std::vector<std::string>& out) {
  for (const auto& panel : panels) {
    const auto& object = panel.as_object();
    if (const auto* targets = object.if_contains("targets")) {
      for (const auto& target : targets->as_array()) {
        if (const auto* expr = target.as_object().if_contains("expr")) {
          out.emplace_back(expr->as_string());
        }
      }
    }
    if (const auto* inner = object.if_contains("panels")) collect_queries(inner->as_array(), out);
  }
}

/// The query as Grafana sends it with "All" gateways selected and a short time range.
std::string as_grafana_sends(std::string query) {
  query = std::regex_replace(query, std::regex(R"(\$instance)"), ".*");
  query = std::regex_replace(query, std::regex(R"(\$__rate_interval)"), "30s");
  query = std::regex_replace(query, std::regex(R"(\$__range)"), "5m");
  return std::regex_replace(query, std::regex(R"(\$__interval)"), "5s");
}

std::string url_encoded(const std::string& text) {
  std::string out;
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (const unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

/// Debian's prometheus as a child process on a free loopback port, with `config_file`.
class PrometheusServer {
 public:
  PrometheusServer(const TempDir& dir, const std::string& config_file)
      : port_(testing::free_loopback_port()), log_(dir.file("prometheus.log")) {
    pid_ = testing::spawn_child(
        {kPrometheus, "--config.file=" + config_file, "--storage.tsdb.path=" + dir.file("tsdb"),
         "--web.listen-address=127.0.0.1:" + std::to_string(port_)},
        log_);
  }
  ~PrometheusServer() {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  PrometheusServer(const PrometheusServer&) = delete;
  PrometheusServer& operator=(const PrometheusServer&) = delete;

  bool ready() const { return get("/-/ready").status == 200; }
  /// The instant query's result array; null when Prometheus refused the query.
  json::value query(const std::string& expression) const {
    const auto answer = get("/api/v1/query?query=" + url_encoded(expression));
    if (answer.status != 200) return nullptr;
    const json::value document = json::parse(answer.body);
    return document.at("data").at("result");
  }
  std::string log() const { return read_file(log_); }

 private:
  HttpResult get(const std::string& target) const {
    try {
      return http_request(port_, http::verb::get, target);
    } catch (const std::exception&) {
      return {};  // not listening yet
    }
  }
  int port_;
  std::string log_;
  pid_t pid_ = -1;
};

TEST(DashboardQueries, EveryQueryOfTheDashboardReturnsDataFromARealPrometheus) {
  if (!std::filesystem::exists(kPrometheus)) {
    return missing_package("prometheus", kPrometheus);
  }
  TempDir dir;
  MosquittoBroker broker;
  GatewayConfig config = broker.gateway_config("gw-dashboard");
  use_local_test_settings(config, dir);
  add_demo_sites(config);  // the theft alarm comes from the demo's rules
  SystemClock clock;
  Gateway gateway(config, clock);
  gateway.start();
  // A refused reading, so the rejections panel has a reason with a count.
  http_request(gateway.api_port(), http::verb::post, "/api/v1/readings",
               R"({"readings":[{"series":"nope","ts_ms":1,"value":1}]})");

  // The shipped scrape config, pointed at this gateway and scraping every second.
  std::string scrape = read_file(EDGEGW_SOURCE_DIR "/deploy/prometheus/prometheus.yml");
  ASSERT_NE(scrape.find("127.0.0.1:8080"), std::string::npos) << scrape;
  scrape = std::regex_replace(scrape, std::regex("127\\.0\\.0\\.1:8080"),
                              "127.0.0.1:" + std::to_string(gateway.api_port()));
  scrape = std::regex_replace(scrape, std::regex("interval: 15s"), "interval: 1s");
  std::ofstream(dir.file("prometheus.yml")) << scrape;
  PrometheusServer prometheus(dir, dir.file("prometheus.yml"));
  ASSERT_TRUE(wait_for([&] { return prometheus.ready(); }, std::chrono::seconds(60)))
      << prometheus.log();

  const json::value dashboard =
      json::parse(read_file(EDGEGW_SOURCE_DIR "/deploy/grafana/edgegw.json"));
  std::vector<std::string> queries;
  collect_queries(dashboard.at("panels").as_array(), queries);
  ASSERT_GE(queries.size(), 20U);
  // Grafana's gateway picker.
  queries.emplace_back("edgegw_uptime_seconds");

  // Rates need a few scrapes, and the gateway a bundle acknowledged and an alarm raised.
  std::vector<std::string> empty;
  const bool all_data = wait_for(
      [&] {
        empty.clear();
        for (const auto& query : queries) {
          const json::value result = prometheus.query(as_grafana_sends(query));
          if (!result.is_array() || result.as_array().empty()) empty.push_back(query);
        }
        return empty.empty();
      },
      std::chrono::seconds(90));
  std::string missing;
  for (const auto& query : empty) missing += "  " + query + "\n";
  EXPECT_TRUE(all_data) << "no data for:\n" << missing << gateway.status_line();
  // The picker's label is the scrape target's.
  const json::value instances = prometheus.query("edgegw_uptime_seconds");
  ASSERT_TRUE(instances.is_array() && !instances.as_array().empty());
  EXPECT_EQ(json::value_to<std::string>(instances.as_array()[0].at("metric").at("instance")),
            "127.0.0.1:" + std::to_string(gateway.api_port()));
  gateway.stop();
}

}  // namespace
}  // namespace edgegw
