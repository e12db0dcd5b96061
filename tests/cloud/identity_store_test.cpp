#include "gateway/cloud/identity_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "gateway/cloud/stored_identity.h"
#include "gateway/durable_file.h"
#include "tests/run_command.h"
#include "tests/temp_dir.h"
#include "tests/test_pki.h"

namespace edgegw::cloud {
namespace {

mode_t mode_of(const std::filesystem::path& path) {
  struct stat info {};
  EXPECT_EQ(::stat(path.c_str(), &info), 0) << path;
  return info.st_mode & 0777;
}

class IdentityStoreTest : public ::testing::Test {
 protected:
  TempDir dir_;
  IdentityStore store_{std::filesystem::path(dir_.path()) / "identity"};
};

TEST_F(IdentityStoreTest, KeygenMakesAPrivateKeyInAPrivateDirectoryAndKeepsItAfterwards) {
  ASSERT_TRUE(store_.ensure_key(KeyType::ec_p256));
  EXPECT_EQ(mode_of(store_.key_file()), 0600u);
  EXPECT_EQ(mode_of(store_.dir()), 0700u);
  const auto check =
      run_command("openssl pkey -noout -text -in " + store_.key_file().string() + " 2>&1");
  EXPECT_EQ(check.exit_code, 0) << check.output;
  EXPECT_NE(check.output.find("P-256"), std::string::npos) << check.output;

  std::ifstream first(store_.key_file());
  const std::string key((std::istreambuf_iterator<char>(first)), {});
  EXPECT_FALSE(store_.ensure_key(KeyType::rsa_2048)) << "an existing key is never replaced";
  std::ifstream again(store_.key_file());
  EXPECT_EQ(std::string((std::istreambuf_iterator<char>(again)), {}), key);
}

TEST_F(IdentityStoreTest, TheCsrIsSignedByTheDeviceKeyAndNamesTheGateway) {
  ASSERT_TRUE(store_.ensure_key(KeyType::rsa_2048));
  const std::string csr = store_.write_csr("gw-0042");
  EXPECT_TRUE(csr.starts_with("-----BEGIN CERTIFICATE REQUEST-----"));
  const auto verify = run_command("openssl req -verify -noout -subject -in " +
                                  store_.csr_file().string() + " 2>&1");
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
  EXPECT_NE(verify.output.find("CN = gw-0042"), std::string::npos) << verify.output;
  // The CSR carries the key's public half: the same modulus as the private key.
  const auto from_csr = run_command("openssl req -noout -pubkey -in " + store_.csr_file().string());
  const auto from_key = run_command("openssl pkey -pubout -in " + store_.key_file().string());
  EXPECT_EQ(from_csr.output, from_key.output);
}

TEST_F(IdentityStoreTest, AKeyOthersMayReadIsRefused) {
  ASSERT_TRUE(store_.ensure_key(KeyType::ec_p256));
  std::filesystem::permissions(store_.key_file(), std::filesystem::perms::group_read,
                               std::filesystem::perm_options::add);
  EXPECT_THROW(store_.ensure_key(KeyType::ec_p256), IdentityError);
}

TEST_F(IdentityStoreTest, AnIdentityIsStoredWithItsCertificateAndReadBack) {
  EXPECT_EQ(store_.load(), std::nullopt) << "nothing stored yet";
  const DeviceIdentity identity{.thing_name = "gw-0042",
                                .endpoint = "example-ats.iot.eu-west-1.amazonaws.com",
                                .provisioned_by = "claim",
                                .provisioned_at_ms = 1'700'000'000'000};
  store_.save(identity, "-----BEGIN CERTIFICATE-----\n...\n");
  EXPECT_EQ(store_.load(), identity);
  EXPECT_FALSE(std::filesystem::exists(store_.identity_file().string() + ".tmp"));
}

TEST_F(IdentityStoreTest, ACrashBeforeTheIdentityIsWrittenLeavesNoIdentity) {
  // What save() leaves when the power goes between the certificate and identity.json: the
  // certificate, and a half-written temp file of the identity.
  std::filesystem::create_directories(store_.dir());
  std::ofstream(store_.certificate_file()) << "-----BEGIN CERTIFICATE-----\n";
  std::ofstream(store_.identity_file().string() + ".tmp") << "{\"thing_na";
  EXPECT_EQ(store_.load(), std::nullopt) << "provisioning starts over";
}

TEST_F(IdentityStoreTest, AnIdentityThatCannotBeUsedIsAClearError) {
  std::filesystem::create_directories(store_.dir());
  std::ofstream(store_.identity_file()) << "not json";
  EXPECT_THROW(store_.load(), IdentityError);
  std::ofstream(store_.identity_file())
      << R"({"thing_name": "gw", "endpoint": "", "provisioned_by": "claim"})";
  try {
    store_.load();
    FAIL() << "an identity without its certificate must not load";
  } catch (const IdentityError& error) {
    EXPECT_NE(std::string(error.what()).find("device.pem"), std::string::npos) << error.what();
  }
  std::ofstream(store_.identity_file()) << R"({"thing_name": 5})";
  EXPECT_THROW(store_.load(), IdentityError);
}

/// Signs the store's CSR with a test CA, as the operator's own CA would; returns the PEM.
std::string sign_with_test_ca(const IdentityStore& store, const TestPki& pki,
                              const std::string& environment = "") {
  const std::string out = store.dir().string() + "/signed.pem";
  run_cert_script(
      "sign-csr.sh '" + pki.directory() + "' '" + store.csr_file().string() + "' '" + out + "'",
      environment);
  std::ifstream in(out);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

TEST_F(IdentityStoreTest, ACertificateSignedFromTheDevicesCsrIsInstalledUnderItsCommonName) {
  TestPki pki(dir_.file("pki"));
  store_.ensure_key(KeyType::ec_p256);
  store_.write_csr("SN-7");
  const std::string pem =
      sign_with_test_ca(store_, pki, "NOT_BEFORE=20260101000000Z NOT_AFTER=20270301120000Z");
  const auto info = read_certificate(pem);
  EXPECT_EQ(info.common_name, "SN-7");
  EXPECT_EQ(info.not_before_ms, 1'767'225'600'000);  // 2026-01-01T00:00:00Z
  EXPECT_EQ(info.not_after_ms, 1'803'902'400'000);   // 2027-03-01T12:00:00Z

  const auto identity = store_.install_certificate(pem, "", "jitp", 42);
  EXPECT_EQ(identity.thing_name, "SN-7");
  EXPECT_EQ(store_.load(), identity);
  EXPECT_EQ(store_.load()->provisioned_by, "jitp");
}

TEST_F(IdentityStoreTest, ARenewedPairReplacesTheOldOnlyOnCommitAndACrashMidwayIsFinished) {
  TestPki pki(dir_.file("pki"));
  store_.ensure_key(KeyType::ec_p256);
  store_.write_csr("SN-7");
  store_.install_certificate(sign_with_test_ca(store_, pki), "gw", "claim", 42);
  const std::string old_key = read_text_file(store_.key_file());

  const std::string csr = store_.make_next_key(KeyType::ec_p256, "SN-7");
  EXPECT_EQ(mode_of(store_.next_key_file()), 0600u);
  std::ofstream(store_.csr_file()) << csr;
  const std::string renewed = sign_with_test_ca(store_, pki);
  EXPECT_THROW(store_.save_next_certificate(read_text_file(store_.certificate_file())),
               IdentityError)
      << "the old certificate is not for the new key";
  store_.save_next_certificate(renewed);
  EXPECT_EQ(read_text_file(store_.key_file()), old_key) << "nothing replaced before the commit";
  const std::string new_key = read_text_file(store_.next_key_file());

  // A crash after the marker and the key's move, before the certificate's: the next load
  // finishes the move, so key and certificate belong together again.
  write_file_durably(store_.commit_marker_file(), "commit\n");
  std::filesystem::rename(store_.next_key_file(), store_.key_file());
  ASSERT_TRUE(store_.load());
  EXPECT_EQ(read_text_file(store_.key_file()), new_key);
  EXPECT_EQ(read_text_file(store_.certificate_file()), renewed);
  EXPECT_FALSE(std::filesystem::exists(store_.commit_marker_file()));
  EXPECT_FALSE(std::filesystem::exists(store_.next_certificate_file()));

  // Without the marker, a renewed pair left behind is not used: the next renewal replaces it.
  store_.make_next_key(KeyType::ec_p256, "SN-7");
  ASSERT_TRUE(store_.load());
  EXPECT_EQ(read_text_file(store_.key_file()), new_key);
  store_.discard_next();
  EXPECT_FALSE(std::filesystem::exists(store_.next_key_file()));
  EXPECT_THROW(store_.commit_next(), IdentityError) << "nothing to commit";
}

TEST_F(IdentityStoreTest, ACertificateForAnotherKeyIsRefused) {
  TestPki pki(dir_.file("pki"));
  store_.ensure_key(KeyType::ec_p256);
  std::ifstream in(pki.client("someone-else").cert_file);
  const std::string other((std::istreambuf_iterator<char>(in)), {});
  EXPECT_THROW(store_.install_certificate(other, "gw", "manual", 42), IdentityError);
  EXPECT_THROW(store_.install_certificate("not a certificate", "gw", "manual", 42), IdentityError);
  EXPECT_FALSE(store_.load());
}

TEST_F(IdentityStoreTest, TheStoredEndpointIsTheHostOnlyWhenTheConfigNamesNone) {
  std::filesystem::create_directories(store_.dir());
  std::ofstream(store_.certificate_file()) << "-----BEGIN CERTIFICATE-----\n";
  store_.save({.thing_name = "gw-7",
               .endpoint = "stored.example",
               .provisioned_by = "claim",
               .provisioned_at_ms = 1},
              "pem");
  GatewayConfig config;
  config.identity.dir = store_.dir().string();
  config.uplink.provider = "aws";
  apply_stored_identity(config);
  EXPECT_EQ(config.uplink.host, "stored.example");

  GatewayConfig named = GatewayConfig{};
  named.identity.dir = store_.dir().string();
  named.uplink.provider = "aws";
  named.uplink.aws.endpoint_prefix = "a1b2c3";
  named.uplink.aws.region = "eu-west-1";
  apply_stored_identity(named);
  EXPECT_EQ(named.uplink.host, UplinkOptions{}.host) << "the endpoint the config derives wins";
  EXPECT_EQ(named.gateway.gateway_id, "gw-7");
}

}  // namespace
}  // namespace edgegw::cloud
