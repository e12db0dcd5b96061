// update-config jobs below the agent: the signature check, the validation as a config file,
// the delivered config kept in the jobs dir and taken in place of the file at the next start.
// The operator's key and signatures are made here with OpenSSL's own signing calls; the
// gateway's code only ever verifies.
#include "gateway/jobs/job_config.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <fstream>

#include "gateway/jobs/job_runner.h"
#include "gateway/uplink/azure_sas.h"
#include "tests/read_file.h"
#include "tests/temp_dir.h"

namespace edgegw {
namespace {

/// An operator's Ed25519 key.
class OperatorKey {
 public:
  explicit OperatorKey(const char* algorithm = "ED25519")
      : key_(EVP_PKEY_Q_keygen(nullptr, nullptr, algorithm), EVP_PKEY_free) {}
  OperatorKey(const char* algorithm, const char* curve)
      : key_(EVP_PKEY_Q_keygen(nullptr, nullptr, algorithm, curve), EVP_PKEY_free) {}
  std::string public_pem() const {
    BIO* out = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(out, key_.get());
    char* data = nullptr;
    const long size = BIO_get_mem_data(out, &data);
    std::string pem(data, static_cast<std::size_t>(size));
    BIO_free(out);
    return pem;
  }
  std::string sign(const std::string& message) const {
    EVP_MD_CTX* context = EVP_MD_CTX_new();
    unsigned char signature[64];
    std::size_t size = sizeof signature;
    EVP_DigestSignInit(context, nullptr, nullptr, nullptr, key_.get());
    EVP_DigestSign(context, signature, &size,
                   reinterpret_cast<const unsigned char*>(message.data()), message.size());
    EVP_MD_CTX_free(context);
    return base64_encode(std::string_view(reinterpret_cast<const char*>(signature), size));
  }

 private:
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key_;
};

class ConfigJobTest : public ::testing::Test {
 protected:
  std::string text(int max_latency_s, const std::string& jobs_dir = "") const {
    return "gateway_id = \"gw-01\"\n[storage]\npath = \"" + dir_.file("buffer.db") +
           "\"\n[bundle]\nmax_latency_s = " + std::to_string(max_latency_s) + "\n[jobs]\ndir = \"" +
           (jobs_dir.empty() ? jobs_dir_ : jobs_dir) + "\"\n";
  }
  std::string write_file(int max_latency_s) const {
    std::ofstream(file_) << text(max_latency_s);
    return file_;
  }
  Job job(const std::string& config, const std::string& signature) const {
    return {
        .id = "job-1",
        .document = {{"operation", "update-config"}, {"config", config}, {"signature", signature}}};
  }
  JobOutcome run(const Job& job, const SignatureKey* key) {
    return run_config_job(job, key, in_force_, live_);
  }
  std::string reason(const JobOutcome& outcome) const {
    const auto found = outcome.details.find("reason");
    return found == outcome.details.end() ? "" : found->second;
  }

  TempDir dir_;
  std::string jobs_dir_ = dir_.file("jobs");
  std::string file_ = dir_.file("edgegw.toml");
  GatewayConfig in_force_ = load_config_file(write_file(60));
  LiveSettings live_{in_force_};
  OperatorKey operator_;
  SignatureKey key_ = SignatureKey::parse(operator_.public_pem(), "operator.pem");
};

TEST_F(ConfigJobTest, ASignedValidConfigIsAppliedLiveAndKeptAsTheConfigInForce) {
  const std::string config = text(7);
  const JobOutcome outcome = run(job(config, operator_.sign(config)), &key_);
  EXPECT_EQ(outcome.status, JobStatus::succeeded) << reason(outcome);
  EXPECT_FALSE(outcome.restart);
  EXPECT_EQ(outcome.details.at("applied"), "live");
  EXPECT_EQ(live_.config().bundle.max_latency_s, 7);
  EXPECT_EQ(read_file(jobs_dir_ + "/config.toml"), config);
  const auto in_force = load_config_in_force(file_);
  EXPECT_EQ(in_force.path, jobs_dir_ + "/config.toml");
  EXPECT_EQ(in_force.config.bundle.max_latency_s, 7);
}

TEST_F(ConfigJobTest, ASignatureOfOtherBytesOrByAnotherKeyFailsAndNothingIsKept) {
  const OperatorKey stranger;
  for (const auto& signature : {operator_.sign(text(8)), stranger.sign(text(7))}) {
    const JobOutcome outcome = run(job(text(7), signature), &key_);
    EXPECT_EQ(outcome.status, JobStatus::failed);
    EXPECT_EQ(reason(outcome), "the signature does not verify under [jobs] public_key_file");
  }
  EXPECT_EQ(live_.config().bundle.max_latency_s, 60);
  EXPECT_FALSE(std::filesystem::exists(jobs_dir_ + "/config.toml"));
  EXPECT_EQ(load_config_in_force(file_).path, file_);
}

TEST_F(ConfigJobTest, AnInvalidConfigFailsWithTheProblemsOfAConfigFileAndLeavesNoTrace) {
  const std::string config = text(0) + "[nonsense]\n";
  const JobOutcome outcome = run(job(config, operator_.sign(config)), &key_);
  EXPECT_EQ(outcome.status, JobStatus::failed);
  EXPECT_NE(reason(outcome).find("max_latency_s"), std::string::npos) << reason(outcome);
  EXPECT_NE(reason(outcome).find("[nonsense] unknown section"), std::string::npos)
      << reason(outcome);
  EXPECT_EQ(live_.config().bundle.max_latency_s, 60);
  EXPECT_FALSE(std::filesystem::exists(jobs_dir_ + "/config.toml"));
  EXPECT_FALSE(std::filesystem::exists(jobs_dir_ + "/config.next.toml"));
}

TEST_F(ConfigJobTest, AConfigThatMovesTheJobsDirIsRefused) {
  const std::string config = text(7, dir_.file("elsewhere"));
  const JobOutcome outcome = run(job(config, operator_.sign(config)), &key_);
  EXPECT_EQ(outcome.status, JobStatus::failed);
  EXPECT_EQ(reason(outcome), "jobs.dir cannot be changed by a job (it holds the job's own state)");
}

TEST_F(ConfigJobTest, AMalformedDocumentFailsAndWithoutAKeyTheJobIsRejected) {
  Job no_signature = job(text(7), "");
  no_signature.document.erase("signature");
  EXPECT_EQ(run(no_signature, &key_).status, JobStatus::failed);
  const JobOutcome not_base64 = run(job(text(7), "***"), &key_);
  EXPECT_EQ(reason(not_base64), "\"signature\" is not base64");
  const JobOutcome keyless = run(job(text(7), operator_.sign(text(7))), nullptr);
  EXPECT_EQ(keyless.status, JobStatus::rejected);
  EXPECT_NE(reason(keyless).find("public_key_file"), std::string::npos);
}

TEST_F(ConfigJobTest, AChangeThatCannotApplyLiveAsksForARestart) {
  const std::string config = text(60) + "[api]\nlisten = \"127.0.0.1:18089\"\n";
  const JobOutcome outcome = run(job(config, operator_.sign(config)), &key_);
  EXPECT_EQ(outcome.status, JobStatus::succeeded) << reason(outcome);
  EXPECT_TRUE(outcome.restart);
  EXPECT_EQ(outcome.details.at("applied"), "after a restart");
  EXPECT_NE(outcome.details.at("restart_for").find("api.listen"), std::string::npos);
}

TEST_F(ConfigJobTest, ADeliveredConfigThatNoLongerLoadsIsPassedOverForTheFile) {
  std::filesystem::create_directories(jobs_dir_);
  std::ofstream(jobs_dir_ + "/config.toml") << "this is not toml = = =";
  const auto in_force = load_config_in_force(file_);
  EXPECT_EQ(in_force.path, file_);
  EXPECT_EQ(in_force.config.bundle.max_latency_s, 60);
}

TEST(SignatureKey, OnlyAnEd25519PublicKeyIsTaken) {
  EXPECT_THROW(SignatureKey::parse("not a key", "k.pem"), std::runtime_error);
  try {
    SignatureKey::parse(OperatorKey("EC", "P-256").public_pem(), "ec.pem");
    FAIL() << "an EC key was taken";
  } catch (const std::runtime_error& error) {
    EXPECT_STREQ(error.what(), "ec.pem: not an Ed25519 public key");
  }
}

TEST(JobRunner, AnUnknownOperationIsRejectedWithTheListOfKnownOnes) {
  TempDir dir;
  GatewayConfig config = load_config_text(
      "gateway_id = \"gw\"\n[storage]\npath = \"" + dir.file("b.db") + "\"\n", "edgegw.toml");
  LiveSettings live(config);
  JobRunner runner(config, std::nullopt, live);
  const std::atomic<bool> running{false};
  const JobOutcome outcome =
      runner.run({.id = "j", .document = {{"operation", "make-coffee"}}}, running);
  EXPECT_EQ(outcome.status, JobStatus::rejected);
  EXPECT_EQ(outcome.details.at("reason"),
            "unknown operation \"make-coffee\"; known: update-config, restart, update-software");
  EXPECT_TRUE(runner.run({.id = "r", .document = {{"operation", "restart"}}}, running).restart);
}

}  // namespace
}  // namespace edgegw
