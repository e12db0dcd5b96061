// The identity store end to end: a gateway whose config names neither its id nor its
// certificate takes both from the identity stored on the device, connects to a real mosquitto
// over mutual TLS with them and publishes under its thing name.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <sstream>

#include "gateway/cloud/identity_store.h"
#include "gateway/durable_file.h"
#include "gateway/gateway.h"
#include "proto/bundle_decoder.h"
#include "tests/http_client.h"
#include "tests/integration/broker/mosquitto_broker.h"
#include "tests/integration/broker/mqtt_test_subscriber.h"
#include "tests/read_file.h"
#include "tests/temp_dir.h"
#include "tests/wait_for.h"

namespace edgegw {
namespace {

/// Stores `device` as the identity of `thing`, as provisioning leaves it.
cloud::IdentityStore store_identity(const std::filesystem::path& dir, const std::string& thing,
                                    const DeviceCredentials& device) {
  cloud::IdentityStore store(dir);
  std::filesystem::create_directories(dir);
  write_file_durably(store.key_file(), read_file(device.key_file), 0600);
  store.save({.thing_name = thing,
              .endpoint = "",
              .provisioned_by = "manual",
              .provisioned_at_ms = 1'700'000'000'000},
             read_file(device.cert_file));
  return store;
}

TEST(StoredIdentity, AGatewayWithoutIdOrCertificateInItsConfigConnectsAsItsStoredThing) {
  MosquittoBroker broker;
  MqttTestSubscriber subscriber(broker, "edgegw/#");
  TempDir dir;
  const auto store =
      store_identity(dir.path() / "identity", "gw-fleet-7", broker.make_device("gw-fleet-7"));
  const std::string config_file = dir.file("edgegw.toml");
  std::ofstream(config_file) << "[storage]\npath = \"" << dir.file("buffer.db")
                             << "\"\n[identity]\ndir = \"" << store.dir().string()
                             << "\"\n[uplink]\nprovider = \"generic\"\nhost = \"" << broker.host()
                             << "\"\nport = " << broker.port() << "\n[uplink.tls]\nca_file = \""
                             << broker.ca_file() << "\"\n[api]\nlisten = \"127.0.0.1:0\"\n";

  GatewayConfig config = load_config_file(config_file);
  EXPECT_EQ(config.gateway.gateway_id, "gw-fleet-7");
  ASSERT_TRUE(config.uplink.tls);
  EXPECT_EQ(config.uplink.tls->cert_file, store.certificate_file().string());
  EXPECT_EQ(config.uplink.tls->key_file, store.key_file().string());

  SystemClock clock;
  Gateway gateway(config, clock);
  gateway.start();
  const std::string body = R"({"readings":[{"series":"room.temp_c","ts_ms":)" +
                           std::to_string(clock.wall_ms()) + R"(,"value":21.5}]})";
  auto response =
      http_request(gateway.api_port(), boost::beast::http::verb::post, "/api/v1/readings", body);
  ASSERT_EQ(response.status, 200) << response.body;
  gateway.flush();
  ASSERT_TRUE(subscriber.wait_for_count(1)) << gateway.status_line();
  const auto message = subscriber.messages().at(0);
  EXPECT_EQ(message.topic, "edgegw/gw-fleet-7/telemetry");
  EXPECT_EQ(decode_bundle(message.payload).gateway_id, "gw-fleet-7");

  // The certificate in use and when it runs out (make-device.sh: 825 days).
  const auto status =
      http_request(gateway.api_port(), boost::beast::http::verb::get, "/api/v1/status");
  const auto certificate =
      boost::json::parse(status.body).at("uplink").at("certificate").as_object();
  EXPECT_EQ(certificate.at("common_name").as_string(), "gw-fleet-7");
  EXPECT_EQ(certificate.at("file").as_string(), store.certificate_file().string());
  const auto expires_in_s = certificate.at("expires_in_s").as_int64();
  EXPECT_GT(expires_in_s, 824LL * 86400);
  EXPECT_LE(expires_in_s, 825LL * 86400);
  const auto metrics = http_request(gateway.api_port(), boost::beast::http::verb::get, "/metrics");
  const auto line = metrics.body.find("\nedgegw_cert_expiry_seconds ");
  ASSERT_NE(line, std::string::npos) << metrics.body;
  const auto metric_s = std::stoll(metrics.body.substr(line + 28));
  EXPECT_NEAR(static_cast<double>(metric_s), static_cast<double>(expires_in_s), 5);
  gateway.stop();
}

TEST(StoredIdentity, WhatTheConfigSetsWinsOverTheStoredIdentity) {
  MosquittoBroker broker;
  TempDir dir;
  const auto store =
      store_identity(dir.path() / "identity", "gw-fleet-7", broker.make_device("gw-fleet-7"));
  const std::string config_file = dir.file("edgegw.toml");
  std::ofstream(config_file) << "gateway_id = \"gw-named\"\n[identity]\ndir = \""
                             << store.dir().string() << "\"\n"
                             << broker.uplink_toml();
  const GatewayConfig config = load_config_file(config_file);
  EXPECT_EQ(config.gateway.gateway_id, "gw-named");
  EXPECT_EQ(config.uplink.tls->cert_file, broker.device_cert());
}

TEST(StoredIdentity, WithoutAnIdentityAConfigWithoutGatewayIdIsRefusedSayingWhatToDo) {
  TempDir dir;
  const std::string config_file = dir.file("edgegw.toml");
  std::ofstream(config_file) << "[identity]\ndir = \"" << dir.file("identity")
                             << "\"\n[uplink]\nhost = \"localhost\"\n";
  try {
    load_config_file(config_file);
    FAIL() << "loaded without a gateway id";
  } catch (const ConfigError& error) {
    EXPECT_NE(std::string(error.what()).find("gateway_id is required"), std::string::npos)
        << error.what();
    EXPECT_NE(std::string(error.what()).find("edgegw keygen"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace edgegw
