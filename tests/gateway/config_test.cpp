#include "gateway/config/config.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <set>
#include <sstream>

#include "tests/gateway/config_error_of.h"

namespace edgegw {
namespace {

using edgegw::testing::error_of;

constexpr const char* kMinimal = R"(gateway_id = "gw-01"
[uplink]
directory = "out"
)";

TEST(Config, MinimalFileGetsEveryDefault) {
  auto config = load_config_text(kMinimal, "test.toml");
  EXPECT_EQ(config.gateway.gateway_id, "gw-01");
  EXPECT_EQ(config.bundle.unit_bytes, 5120);
  EXPECT_EQ(config.bundle.max_latency_s, 60);
  EXPECT_EQ(config.uplink.provider, "generic");
  EXPECT_EQ(config.api.listen, "127.0.0.1:8080");
  EXPECT_EQ(config.expand_topic(config.uplink.telemetry_topic), "edgegw/gw-01/telemetry");
}

TEST(Config, TheDesignDocumentsExampleIsValid) {
  auto config = load_config_text(R"(gateway_id = "gw-01"
[storage]
path = "/var/lib/edgegw/buffer.db"
[bundle]
unit_bytes = 5120          # the provider's metering unit
max_latency_s = 60         # close a partly filled bundle after this long
[uplink]
provider = "generic"       # "aws" | "azure" | "generic"
host = "127.0.0.1"
port = 1883                # TLS when [uplink.tls] is present
[api]
listen = "127.0.0.1:8080"
[[adapters]]
type = "simulator"
profile = "crane"          # "chocolate" | "crane"
)",
                                 "design.toml");
  ASSERT_EQ(config.adapters.size(), 1u);
  EXPECT_EQ(config.adapters[0].type, "simulator");
}

TEST(Config, AProviderProfileThatContradictsItselfIsAConfigError) {
  auto error = error_of(
      "gateway_id = \"gw\"\n[uplink]\nprovider = \"aws\"\n[uplink.aws]\nregion = \"eu-west-1\"\n");
  EXPECT_NE(error.find("endpoint_prefix"), std::string::npos) << error;
}

TEST(Config, UnknownKeyIsAnErrorNamingKeyAndLine) {
  auto error = error_of("gateway_id = \"gw\"\n[bundle]\nunit_bytes = 5120\nmax_latncy_s = 3\n");
  EXPECT_NE(error.find("test.toml:4: bundle.max_latncy_s unknown key"), std::string::npos) << error;
}

TEST(Config, BadValuesNameKeyLineAndWhatIsAllowed) {
  auto error = error_of(
      "gateway_id = \"gw\"\n[uplink]\nprovider = \"gcp\"\nport = 70000\n[bundle]\n"
      "unit_bytes = \"big\"\n");
  EXPECT_NE(
      error.find("test.toml:3: uplink.provider is \"gcp\", must be one of: aws azure generic"),
      std::string::npos)
      << error;
  EXPECT_NE(error.find("test.toml:4: uplink.port is 70000, must be 1 to 65535"), std::string::npos)
      << error;
  EXPECT_NE(error.find("test.toml:6: bundle.unit_bytes must be an integer"), std::string::npos)
      << error;
}

TEST(Config, UnknownSectionsAndTopLevelKeysNameTheirLine) {
  auto error = error_of(
      "gateway_id = \"gw\"\nlog_levle = \"info\"\n[uplnk]\nhost = \"x\"\n"
      "[uplink.tsl]\nca_file = \"a\"\n");
  EXPECT_NE(error.find("test.toml:2: log_levle unknown key"), std::string::npos) << error;
  EXPECT_NE(error.find("test.toml:3: [uplnk] unknown section"), std::string::npos) << error;
  EXPECT_NE(error.find("test.toml:5: [uplink.tsl] unknown section"), std::string::npos) << error;
}

TEST(Config, UplinkSubsectionsAreParsed) {
  auto config = load_config_text(std::string(kMinimal) +
                                     "[uplink.tls]\nca_file = \"ca.pem\"\ncert_file = \"d.pem\"\n"
                                     "key_file = \"d.key\"\n[uplink.aws]\nregion = \"eu-west-1\"\n",
                                 "test.toml");
  ASSERT_TRUE(config.uplink.tls.has_value());
  EXPECT_EQ(config.uplink.tls->ca_file, "ca.pem");
  EXPECT_TRUE(config.uplink.tls->verify_hostname);
  EXPECT_EQ(config.uplink.aws.region, "eu-west-1");
  EXPECT_FALSE(load_config_text(kMinimal, "test.toml").uplink.tls.has_value())
      << "no section, no TLS";
}

TEST(Config, ApiTlsSectionTurnsOnHttpsAndNeedsCertAndKey) {
  auto config = load_config_text(std::string(kMinimal) +
                                     "[api]\nlisten = \"[::1]:8443\"\n[api.tls]\n"
                                     "cert_file = \"api.pem\"\nkey_file = \"api.key\"\n",
                                 "test.toml");
  ASSERT_TRUE(config.api.tls.has_value());
  EXPECT_EQ(config.api.tls->cert_file, "api.pem");
  EXPECT_EQ(config.api.tls->key_file, "api.key");
  EXPECT_EQ(config.api.tls->client_ca_file, "") << "client certificates are optional";
  EXPECT_NE(config_to_json(config).find(R"("tls":{"cert_file":"api.pem")"), std::string::npos)
      << config_to_json(config);
  EXPECT_FALSE(load_config_text(kMinimal, "test.toml").api.tls.has_value()) << "no section, HTTP";

  auto error = error_of(std::string(kMinimal) + "[api.tls]\ncert_file = \"api.pem\"\n");
  EXPECT_NE(error.find("api.tls.key_file is required"), std::string::npos) << error;
  error = error_of(std::string(kMinimal) + "[api.ssl]\ncert_file = \"api.pem\"\n");
  EXPECT_NE(error.find("test.toml:4: [api.ssl] unknown section; known: tls"), std::string::npos)
      << error;
}

TEST(Config, MissingGatewayIdIsAnError) {
  EXPECT_NE(error_of("[bundle]\nunit_bytes = 5120\n").find("gateway_id is required"),
            std::string::npos);
}

TEST(Config, BrokenTomlReportsTheLine) {
  auto error = error_of("gateway_id = \"gw\"\n[bundle\n");
  EXPECT_NE(error.find("test.toml:2: not valid TOML"), std::string::npos) << error;
}

TEST(Config, UnknownAdapterTypeAndBadAdapterKeysAreErrors) {
  auto error = error_of(
      "gateway_id = \"gw\"\n[[adapters]]\ntype = \"teleporter\"\n"
      "[[adapters]]\ntype = \"simulator\"\nprofile = \"crane\"\nspeed = 3\n");
  EXPECT_NE(error.find("test.toml:3: adapters.type is \"teleporter\""), std::string::npos) << error;
  EXPECT_NE(error.find("test.toml:7: adapters.speed unknown key"), std::string::npos) << error;
}

TEST(Config, DuplicateAdapterNamesAreAnError) {
  auto error = error_of(
      "gateway_id = \"gw\"\n[[adapters]]\ntype = \"simulator\"\nprofile = \"crane\"\n"
      "name = \"a\"\n[[adapters]]\ntype = \"simulator\"\nprofile = \"chocolate\"\nname = \"a\"\n");
  EXPECT_NE(error.find("adapters.name \"a\" is used twice"), std::string::npos) << error;
}

TEST(Config, SeriesTablesCarryUnitResolutionAndRange) {
  auto config = load_config_text(std::string(kMinimal) +
                                     "[[series]]\nname = \"wind\"\nunit = \"m/s\"\n"
                                     "resolution = 0.1\nmin = 0\nmax = 80\n",
                                 "test.toml");
  ASSERT_EQ(config.series.size(), 1u);
  EXPECT_EQ(config.series[0].resolution, 0.1);
  EXPECT_EQ(config.series[0].max, 80.0);
}

TEST(Config, ShippedConfigsAreValid) {
  for (const char* name : {"demo.toml", "chocolate.toml"}) {
    SCOPED_TRACE(name);
    EXPECT_NO_THROW(load_config_file(std::string(EDGEGW_SOURCE_DIR "/deploy/config/") + name));
  }
}

TEST(Config, TheEffectiveConfigShowsAnAdaptersRegisterMapAndTheRules) {
  const auto config = load_config_file(EDGEGW_SOURCE_DIR "/deploy/config/crane.toml");
  const auto doc = boost::json::parse(config_to_json(config)).as_object();
  const auto& adapter = doc.at("adapters").as_array().at(0).as_object();
  EXPECT_EQ(adapter.at("type").as_string(), "modbus");
  const auto& registers = adapter.at("registers").as_array();
  ASSERT_EQ(registers.size(), config.adapters[0].lists.at("registers").size());
  EXPECT_EQ(registers.at(0).as_object().at("name").as_string(),
            std::get<std::string>(config.adapters[0].lists.at("registers")[0].at("name")));
  EXPECT_EQ(doc.at("rules").as_array().size(), config.rules.size());
  EXPECT_TRUE(doc.at("rules").as_array().at(0).as_object().at("below").is_null())
      << "an unset threshold is null, not NaN";
}

// One list of sections drives the parser, the reference and GET /api/v1/config: each section
// in it is read from the file (an unknown key in it is refused by its own table), documented,
// and shown where the file puts it.
TEST(Config, EverySectionIsParsedDocumentedAndShownFromOneList) {
  const auto paths = config_section_paths();
  ASSERT_GE(paths.size(), 13u);
  const std::string reference = render_config_reference();
  const std::set<std::string> lists = {"series", "adapters", "rules"};
  for (const auto& path : paths) {
    SCOPED_TRACE(path);
    std::string text = "gateway_id = \"gw\"\n";
    std::string key = "bogus";
    if (path.empty()) {
      text += "bogus = 1\n";
    } else if (lists.contains(path)) {
      text += "[[" + path + "]]\n" + (path == "adapters" ? "type = \"simulator\"\n" : "") +
              "bogus = 1\n";
      key = path + ".bogus";
    } else {
      text += "[" + path + "]\nbogus = 1\n";
      key = path + ".bogus";
    }
    EXPECT_NE(error_of(text).find(key + " unknown key"), std::string::npos) << error_of(text);
    const std::string heading = path.empty()           ? "## Top level"
                                : lists.contains(path) ? "## [[" + path
                                                       : "## [" + path + "]";
    EXPECT_NE(reference.find(heading), std::string::npos);
  }

  auto config = load_config_text(R"(gateway_id = "gw"
[uplink]
provider = "aws"
[uplink.aws]
endpoint_prefix = "abc"
region = "eu-west-1"
[uplink.tls]
ca_file = "ca.pem"
cert_file = "gw.pem"
key_file = "gw.key"
[api.tls]
cert_file = "api.pem"
key_file = "api.key"
)",
                                 "test.toml");
  const auto shown = boost::json::parse(config_to_json(config)).as_object();
  EXPECT_EQ(shown.at("gateway_id"), "gw");
  EXPECT_EQ(shown.at("uplink").at("tls").at("ca_file"), "ca.pem") << "nested in its parent";
  EXPECT_EQ(shown.at("uplink").at("aws").at("region"), "eu-west-1");
  EXPECT_FALSE(shown.at("uplink").as_object().contains("azure")) << "another provider's";
  EXPECT_EQ(shown.at("api").at("tls").at("cert_file"), "api.pem");
  EXPECT_TRUE(shown.at("adapters").is_array());
  auto plain = boost::json::parse(config_to_json(load_config_text(kMinimal, "test.toml")));
  EXPECT_FALSE(plain.at("uplink").as_object().contains("tls")) << "absent: TLS is off";
}

TEST(Config, TheReferenceDocumentMatchesTheParsersTables) {
  std::ifstream file(EDGEGW_SOURCE_DIR "/docs/config.md");
  ASSERT_TRUE(file) << "docs/config.md is missing";
  std::stringstream text;
  text << file.rdbuf();
  EXPECT_EQ(text.str(), render_config_reference())
      << "regenerate it: build/gateway/edgegw config-reference > docs/config.md";
}

}  // namespace
}  // namespace edgegw
