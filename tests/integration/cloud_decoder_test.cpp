// The cloud-side Python decoder (deploy/decoder) against the gateway's own `edgegw decode`, on
// every bundle a real gateway published to a real mosquitto: both encodings, and every column
// form (decimal, step and XOR values, quality marks). The two share no code; they must agree
// reading for reading, values bit for bit.
#include <gtest/gtest.h>
#include <zstd.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>

#include "edgegw/v1/bundle.pb.h"
#include "gateway/gateway.h"
#include "tests/http_client.h"
#include "tests/integration/broker/mosquitto_broker.h"
#include "tests/integration/broker/mqtt_test_subscriber.h"
#include "tests/integration/edgegw_process.h"
#include "tests/integration/local_gateway_config.h"
#include "tests/missing_package.h"
#include "tests/temp_dir.h"
#include "tests/wait_for.h"

namespace edgegw {
namespace {

namespace json = boost::json;

/// Posts readings no simulator makes: values with no short decimal form (XOR), and qualities.
void post_lab_readings(const Gateway& gateway, const Clock& clock, std::mt19937_64& random) {
  std::uniform_real_distribution<double> ratio(0.0, 1.0);
  for (int batch = 0; batch < 4; ++batch) {
    std::string body = "{\"readings\":[";
    for (int i = 0; i < 50; ++i) {
      const std::int64_t ts = clock.wall_ms() - 5000 + batch * 50 + i;
      const char* quality = i % 7 == 3 ? "bad" : i % 5 == 1 ? "uncertain" : "good";
      json::object reading{{"series", "lab.ratio"}, {"ts_ms", ts}, {"value", ratio(random)}};
      if (i % 2 == 1) reading["quality"] = quality;  // and sometimes left to its default
      body += (i ? "," : "") + json::serialize(reading);
    }
    body += "]}";
    const auto answer =
        http_request(gateway.api_port(), boost::beast::http::verb::post, "/api/v1/readings", body);
    ASSERT_EQ(answer.status, 200) << answer.body;
  }
}

/// The value forms one payload's series use, and whether any marks a quality.
void note_forms(const std::string& payload, std::set<std::string>& forms) {
  std::string body = payload.substr(1);
  if (static_cast<unsigned char>(payload[0]) == 0x11) {
    forms.insert("zstd");
    std::string raw(ZSTD_getFrameContentSize(body.data(), body.size()), '\0');
    ASSERT_FALSE(ZSTD_isError(ZSTD_decompress(raw.data(), raw.size(), body.data(), body.size())));
    body = raw;
  }
  v1::Bundle bundle;
  ASSERT_TRUE(bundle.ParseFromString(body));
  for (const auto& series : bundle.series()) {
    forms.insert(series.value_xor_size() > 0 ? "xor" : series.step() != 0 ? "step" : "decimal");
    if (series.quality_marks_size() > 0) forms.insert("quality");
  }
}

/// Compares two decoders' JSON for one bundle, reading by reading.
void expect_same_bundle(const json::object& cpp, const json::object& python,
                        const std::string& file) {
  SCOPED_TRACE(file);
  ASSERT_FALSE(python.contains("error")) << json::serialize(python);
  EXPECT_EQ(cpp.at("gateway_id"), python.at("gateway_id"));
  EXPECT_EQ(cpp.at("bundle_seq").to_number<std::uint64_t>(),
            python.at("bundle_seq").to_number<std::uint64_t>());
  EXPECT_EQ(cpp.at("encoding"), python.at("encoding"));
  const auto& ours = cpp.at("readings").as_array();
  const auto& theirs = python.at("readings").as_array();
  ASSERT_EQ(ours.size(), theirs.size());
  for (std::size_t i = 0; i < ours.size(); ++i) {
    const auto& a = ours[i].as_object();
    const auto& b = theirs[i].as_object();
    ASSERT_EQ(a.at("series"), b.at("series")) << "reading " << i;
    EXPECT_EQ(a.contains("unit") ? a.at("unit") : json::value(""),
              b.contains("unit") ? b.at("unit") : json::value(""))
        << "reading " << i;
    EXPECT_EQ(a.at("ts_ms").to_number<std::int64_t>(), b.at("ts_ms").to_number<std::int64_t>())
        << "reading " << i;
    // Both print the shortest form that reads back as the same double: equal doubles.
    EXPECT_EQ(a.at("value").to_number<double>(), b.at("value").to_number<double>())
        << "reading " << i << " of " << a.at("series");
    EXPECT_EQ(a.contains("quality") ? a.at("quality") : json::value("good"),
              b.contains("quality") ? b.at("quality") : json::value("good"))
        << "reading " << i;
  }
}

TEST(CloudDecoder, AgreesWithEdgegwDecodeOnEveryBundleOfARealRun) {
  if (run_command("/usr/bin/python3 -c 'import google.protobuf' 2>&1").exit_code != 0) {
    return missing_package("python3-protobuf", "the Python protobuf runtime");
  }
  if (run_command("/usr/bin/python3 -c 'import zstandard' 2>&1").exit_code != 0) {
    return missing_package("python3-zstandard", "the Python zstd bindings");
  }
  MosquittoBroker broker;
  MqttTestSubscriber subscriber(broker, "edgegw/+/telemetry");
  std::mt19937_64 random(20261202);
  SystemClock clock;
  for (const std::string encoding : {"proto", "proto+zstd"}) {
    TempDir dir;
    GatewayConfig config = broker.gateway_config(encoding == "proto" ? "gw-raw" : "gw-zstd");
    use_local_test_settings(config, dir);
    config.bundle.encoding = encoding;
    // A power-of-ten resolution packs decimals; 0.5 packs steps; the rest as they come.
    config.series.push_back({.name = "crane.wind_speed_ms", .unit = "m/s", .resolution = 0.1});
    config.series.push_back({.name = "crane.load_kg", .unit = "kg", .resolution = 0.5});
    config.adapters.push_back({.type = "simulator",
                               .name = "crane",
                               .values = {{"profile", "crane"}, {"rate_scale", 5.0}}});
    config.adapters.push_back(
        {.type = "simulator", .name = "chocolate", .values = {{"profile", "chocolate"}}});
    Gateway gateway(config, clock);
    gateway.start();
    post_lab_readings(gateway, clock, random);
    ASSERT_TRUE(wait_for([&] { return gateway.status().bundles_acked >= 4; }))
        << gateway.status_line();
    gateway.flush();
    gateway.stop();
  }

  TempDir out;
  std::vector<std::string> files;
  std::set<std::string> forms;
  for (const auto& message : subscriber.messages()) {
    files.push_back(out.file(std::to_string(files.size()) + ".bundle"));
    std::ofstream(files.back(), std::ios::binary) << message.payload;
    note_forms(message.payload, forms);
  }
  ASSERT_GE(files.size(), 8U);
  EXPECT_EQ(forms, (std::set<std::string>{"decimal", "step", "xor", "quality", "zstd"}))
      << "the run must exercise every column form";

  std::string command = "cd '" EDGEGW_SOURCE_DIR
                        "/deploy/decoder' && /usr/bin/python3 -m "
                        "edgegw_decoder --descriptor-set '" EDGEGW_BUNDLE_DESCRIPTOR_SET "'";
  for (const auto& file : files) command += " '" + file + "'";
  const auto python = run_command(command + " 2>&1");
  ASSERT_EQ(python.exit_code, 0) << python.output;
  std::istringstream lines(python.output);
  std::size_t readings = 0;
  for (const auto& file : files) {
    std::string line;
    ASSERT_TRUE(std::getline(lines, line)) << "no line for " << file;
    const auto ours = run_edgegw({"decode"}, read_file(file));
    ASSERT_EQ(ours.exit_code, 0) << ours.output;
    const auto cpp = json::parse(ours.output).as_object();
    expect_same_bundle(cpp, json::parse(line).as_object(), file);
    readings += cpp.at("readings").as_array().size();
  }
  EXPECT_GT(readings, 400U);
}

}  // namespace
}  // namespace edgegw
