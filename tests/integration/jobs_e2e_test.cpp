// AWS IoT Jobs end to end: a gateway over mutual TLS to a real mosquitto, and the test cloud
// holding each thing's job executions as the Jobs device MQTT API documents them ($next/get,
// <jobId>/update, notify-next). The test plays the fleet operator: it signs config documents
// with its own Ed25519 key through the openssl command line (not through the gateway's code),
// creates jobs and reads the statuses the gateway reports.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <fstream>
#include <regex>

#include "gateway/gateway.h"
#include "gateway/jobs/job_config.h"
#include "gateway/jobs/job_runner.h"
#include "gateway/jobs/software_update.h"
#include "tests/http_client.h"
#include "tests/integration/broker/mosquitto_broker.h"
#include "tests/integration/broker/mqtt_test_subscriber.h"
#include "tests/integration/child_process.h"
#include "tests/integration/cloud/aws_test_cloud.h"
#include "tests/integration/cloud/release_server.h"
#include "tests/integration/edgegw_process.h"
#include "tests/read_file.h"
#include "tests/run_command.h"
#include "tests/temp_dir.h"
#include "tests/test_pki.h"
#include "tests/wait_for.h"

namespace edgegw {
namespace {

namespace json = boost::json;
namespace http = boost::beast::http;

constexpr const char* kThing = "gw-jobs";

/// An Ed25519 key pair made by openssl in `dir`: key.pem (private) and public.pem.
struct SigningKey {
  explicit SigningKey(const TempDir& dir, const std::string& name)
      : private_file(dir.file(name + ".pem")), public_file(dir.file(name + ".pub.pem")) {
    const auto made = run_command("openssl genpkey -algorithm ed25519 -out '" + private_file +
                                  "' 2>&1 && openssl pkey -in '" + private_file +
                                  "' -pubout -out '" + public_file + "' 2>&1");
    if (made.exit_code != 0) throw std::runtime_error("openssl: " + made.output);
  }
  /// base64 of the Ed25519 signature of `text`.
  std::string sign(const std::string& text, const TempDir& dir) const {
    const std::string message = dir.file("message");
    std::ofstream(message, std::ios::binary) << text;
    const auto signed_text = run_command("openssl pkeyutl -sign -rawin -inkey '" + private_file +
                                         "' -in '" + message + "' | base64 -w0");
    if (signed_text.exit_code != 0) throw std::runtime_error("openssl pkeyutl failed");
    return signed_text.output;
  }
  std::string private_file;
  std::string public_file;
};

class JobsE2E : public ::testing::Test {
 protected:
  /// The config file's text: the gateway on the test broker as an AWS thing (or an Azure
  /// device, the broker playing the hub), jobs on.
  std::string config_text(int max_latency_s, const std::string& extra = "") const {
    std::string uplink = broker_.uplink_toml();
    if (azure_) {
      // Not 127.0.0.1: an Azure host left at the default means <hub>.azure-devices.net.
      uplink =
          std::regex_replace(uplink, std::regex("provider = \"generic\""), "provider = \"azure\"");
      uplink = std::regex_replace(uplink, std::regex("host = \"[^\"]*\""), "host = \"localhost\"");
      uplink += "[uplink.azure]\nhub = \"local-hub\"\n";
    } else {
      uplink =
          std::regex_replace(uplink, std::regex("provider = \"generic\""), "provider = \"aws\"");
    }
    std::ostringstream text;
    text << "gateway_id = \"" << kThing << "\"\n"
         << "[storage]\npath = \"" << dir_.file("buffer.db") << "\"\n"
         << "[api]\nlisten = \"" << api_listen_ << "\"\n"
         << "[bundle]\nmax_latency_s = " << max_latency_s << "\n"
         << "[shadow]\nenabled = false\n"
         << "[jobs]\ndir = \"" << dir_.file("jobs") << "\"\npublic_key_file = \""
         << key_.public_file << "\"\n"
         << jobs_extra_ << uplink << extra << "[[adapters]]\ntype = \"simulator\"\n"
         << "name = \"crane\"\nprofile = \"crane\"\n";
    return text.str();
  }
  std::string write_config(int max_latency_s) const {
    std::ofstream(config_file_) << config_text(max_latency_s);
    return config_file_;
  }
  json::object config_job(const std::string& text, const SigningKey& key) const {
    return {{"operation", "update-config"}, {"config", text}, {"signature", key.sign(text, dir_)}};
  }
  json::value config_in_force(const Gateway& gateway) {
    return json::parse(
        http_request(const_cast<Gateway&>(gateway).api_port(), http::verb::get, "/api/v1/config")
            .body);
  }
  std::string detail(const std::string& job, const std::string& key) const {
    const auto execution = cloud_.job(kThing, job);
    if (!execution) return "(no such job)";
    const auto* value = execution->status_details.if_contains(key);
    return value && value->is_string() ? std::string(value->as_string()) : "(no " + key + ")";
  }

  bool azure_ = false;
  std::string jobs_extra_;  ///< more keys of [jobs]
  std::string api_listen_ = "127.0.0.1:0";
  TempDir dir_;
  MosquittoBroker broker_;
  AwsTestCloud cloud_{broker_};
  SigningKey key_{dir_, "operator"};
  std::string config_file_ = dir_.file("edgegw.toml");
  SystemClock clock_;
};

TEST_F(JobsE2E, ASignedConfigIsAppliedLiveReportedSucceededAndKeptAsTheConfigInForce) {
  Gateway gateway(load_config_in_force(write_config(60)).config, clock_);
  gateway.start();
  ASSERT_TRUE(wait_for([&] { return gateway.status().uplink_connected; })) << broker_.log();

  cloud_.create_job(kThing, "config-1", config_job(config_text(7), key_));
  ASSERT_TRUE(cloud_.wait_for_job(kThing, "config-1", "SUCCEEDED")) << broker_.log();
  EXPECT_EQ(cloud_.job(kThing, "config-1")->history,
            (std::vector<std::string>{"IN_PROGRESS", "SUCCEEDED"}));
  EXPECT_EQ(detail("config-1", "applied"), "live");
  EXPECT_EQ(config_in_force(gateway).at("bundle").at("max_latency_s").as_int64(), 7);
  // Kept: the next start runs it in place of the file.
  const auto delivered = load_config_in_force(config_file_);
  EXPECT_EQ(delivered.path, dir_.file("jobs") + "/config.toml");
  EXPECT_EQ(delivered.config.bundle.max_latency_s, 7);
  // The gateway counts the job once the cloud has accepted its status.
  ASSERT_TRUE(wait_for([&] {
    const auto status =
        json::parse(http_request(gateway.api_port(), http::verb::get, "/api/v1/status").body);
    const auto& last = status.at("jobs").at("last");
    return last.is_object() && last.at("status") == "SUCCEEDED";
  }));
  const auto metrics = http_request(gateway.api_port(), http::verb::get, "/metrics").body;
  EXPECT_NE(metrics.find("edgegw_jobs_total{status=\"SUCCEEDED\"} 1"), std::string::npos)
      << metrics;
  gateway.stop();
}

TEST_F(JobsE2E, ABadSignatureOrAnInvalidConfigFailsTheJobAndTheOldConfigStaysInForce) {
  Gateway gateway(load_config_in_force(write_config(60)).config, clock_);
  gateway.start();
  ASSERT_TRUE(wait_for([&] { return gateway.status().uplink_connected; })) << broker_.log();

  // Signed by someone else.
  const SigningKey stranger(dir_, "stranger");
  cloud_.create_job(kThing, "forged", config_job(config_text(7), stranger));
  // Signed for one text, sent with another.
  json::object swapped = config_job(config_text(7), key_);
  swapped["config"] = config_text(9);
  cloud_.create_job(kThing, "swapped", swapped);
  // Signed, but not a config the gateway can run.
  cloud_.create_job(kThing, "invalid", config_job(config_text(0), key_));
  for (const char* job : {"forged", "swapped", "invalid"}) {
    ASSERT_TRUE(cloud_.wait_for_job(kThing, job, "FAILED")) << job << "\n" << broker_.log();
  }
  EXPECT_EQ(detail("forged", "reason"),
            "the signature does not verify under [jobs] public_key_file");
  EXPECT_EQ(detail("swapped", "reason"),
            "the signature does not verify under [jobs] public_key_file");
  // The refusal names the key and the line, as a config file's does.
  EXPECT_NE(detail("invalid", "reason").find("max_latency_s"), std::string::npos)
      << detail("invalid", "reason");
  EXPECT_EQ(config_in_force(gateway).at("bundle").at("max_latency_s").as_int64(), 60);
  EXPECT_EQ(load_config_in_force(config_file_).path, config_file_);
  gateway.stop();
}

TEST_F(JobsE2E, AnUnknownOperationAndASoftwareUpdateOutsideAReleaseInstallAreRejected) {
  Gateway gateway(load_config_in_force(write_config(60)).config, clock_);
  gateway.start();
  cloud_.create_job(kThing, "mystery", json::object{{"operation", "make-coffee"}});
  cloud_.create_job(kThing, "software",
                    json::object{{"operation", "update-software"},
                                 {"version", "2.0.0"},
                                 {"url", "https://localhost/edgegw.tar.gz"},
                                 {"size", 100},
                                 {"sha256", std::string(64, '0')},
                                 {"signature", key_.sign("x", dir_)}});
  ASSERT_TRUE(cloud_.wait_for_job(kThing, "mystery", "REJECTED")) << broker_.log();
  EXPECT_EQ(detail("mystery", "reason"),
            "unknown operation \"make-coffee\"; known: update-config, restart, update-software");
  ASSERT_TRUE(cloud_.wait_for_job(kThing, "software", "REJECTED")) << broker_.log();
  // This gateway runs from the build tree, not from <install_dir>/releases.
  EXPECT_NE(detail("software", "reason")
                .find(running_in_container() ? "container runtime" : "not installed as releases"),
            std::string::npos)
      << detail("software", "reason");
  gateway.stop();
}

TEST_F(JobsE2E, AConfigThatNeedsARestartIsReportedByTheGatewayAfterTheRestart) {
  bool restart_asked = false;
  {
    Gateway gateway(load_config_in_force(write_config(60)).config, clock_);
    gateway.set_restart_handler([&] { restart_asked = true; });
    gateway.start();
    ASSERT_TRUE(wait_for([&] { return gateway.status().uplink_connected; })) << broker_.log();
    // A new rule cannot start live: it takes a restart.
    cloud_.create_job(kThing, "config-rule",
                      config_job(config_text(60,
                                             "[[rules]]\nname = \"wind_high\"\nseries = "
                                             "\"crane.wind\"\nabove = 20\n"),
                                 key_));
    ASSERT_TRUE(wait_for([&] { return restart_asked; })) << broker_.log();
    // Not finished yet: the gateway that runs the new config says how it went.
    EXPECT_EQ(cloud_.job(kThing, "config-rule")->status, "IN_PROGRESS");
    gateway.stop();
  }
  const auto in_force = load_config_in_force(config_file_);
  ASSERT_EQ(in_force.config.rules.size(), 1U);
  Gateway again(in_force.config, clock_);
  again.start();
  ASSERT_TRUE(cloud_.wait_for_job(kThing, "config-rule", "SUCCEEDED")) << broker_.log();
  EXPECT_EQ(detail("config-rule", "applied"), "after a restart");
  EXPECT_NE(detail("config-rule", "restart_for").find("rules"), std::string::npos)
      << detail("config-rule", "restart_for");
  // Forgotten once the cloud has accepted the status.
  EXPECT_TRUE(
      wait_for([&] { return !std::filesystem::exists(dir_.file("jobs") + "/pending.json"); }));
  again.stop();
}

TEST_F(JobsE2E, ARestartJobRestartsTheDaemonInPlaceAndTheNewProcessReportsSucceeded) {
  write_config(60);
  const std::string log = dir_.file("edgegw.log");
  Daemon daemon(config_file_, log);
  ASSERT_TRUE(wait_for([&] { return read_file(log).find("running") != std::string::npos; }))
      << read_file(log);
  cloud_.create_job(kThing, "restart-1", json::object{{"operation", "restart"}});
  ASSERT_TRUE(cloud_.wait_for_job(kThing, "restart-1", "SUCCEEDED")) << read_file(log);
  // The same process (the supervisor sees no exit), started twice.
  const std::string text = read_file(log);
  std::size_t starts = 0;
  for (auto at = text.find(" running;"); at != std::string::npos;
       at = text.find(" running;", at + 1))
    ++starts;
  EXPECT_EQ(starts, 2U) << text;
  EXPECT_NE(text.find("restarting"), std::string::npos);
  EXPECT_EQ(cloud_.job(kThing, "restart-1")->history,
            (std::vector<std::string>{"IN_PROGRESS", "SUCCEEDED"}));
  EXPECT_EQ(daemon.stop(), 0);
}

TEST_F(JobsE2E, OnAzureASignedConfigArrivesAsADirectMethodAndTheAnswerSaysHowItWent) {
  azure_ = true;
  MqttTestSubscriber operator_client(broker_, "$iothub/methods/res/#");
  Gateway gateway(load_config_in_force(write_config(60)).config, clock_);
  gateway.start();
  ASSERT_TRUE(wait_for([&] { return gateway.status().uplink_connected; })) << broker_.log();
  // The subscription is in place once the status shows it granted.
  ASSERT_TRUE(wait_for([&] {
    const auto subscriptions = gateway.status().subscriptions;
    return !subscriptions.empty() &&
           std::all_of(subscriptions.begin(), subscriptions.end(), [](const auto& subscription) {
             return subscription.state == SubscriptionState::State::granted;
           });
  }));
  const json::object job = config_job(config_text(9), key_);
  ASSERT_TRUE(
      operator_client.publish("$iothub/methods/POST/update-config/?$rid=1", json::serialize(job)));
  const SigningKey stranger(dir_, "stranger");
  ASSERT_TRUE(operator_client.publish("$iothub/methods/POST/update-config/?$rid=2",
                                      json::serialize(config_job(config_text(5), stranger))));
  ASSERT_TRUE(operator_client.wait_for_count(2)) << broker_.log();
  std::map<std::string, ReceivedMessage> answers;
  for (const auto& message : operator_client.messages()) answers[message.topic] = message;
  ASSERT_TRUE(answers.contains("$iothub/methods/res/200/?$rid=1"));
  EXPECT_EQ(json::parse(answers["$iothub/methods/res/200/?$rid=1"].payload).at("status"),
            "SUCCEEDED");
  ASSERT_TRUE(answers.contains("$iothub/methods/res/400/?$rid=2"));
  EXPECT_EQ(json::parse(answers["$iothub/methods/res/400/?$rid=2"].payload).at("error"),
            "the signature does not verify under [jobs] public_key_file");
  EXPECT_EQ(config_in_force(gateway).at("bundle").at("max_latency_s").as_int64(), 9);
  gateway.stop();
}

/// update-software end to end: the daemon runs from a release install (install/releases/
/// 1.0.0/bin/edgegw, `current` linking to it, the way systemd would start it), the artifact
/// comes from a real HTTPS server, and the test signs and hashes it with openssl and
/// sha256sum as an operator would.
/// Download, unpack, trial: well within this on a loaded CI machine.
constexpr auto kUpdateDeadline = std::chrono::seconds(120);

class SoftwareUpdateE2E : public JobsE2E {
 protected:
  SoftwareUpdateE2E() {
    // The build's binary without its debug sections: the same program, a tenth of the bytes.
    std::filesystem::create_directories(layout_.binary("1.0.0").parent_path());
    const auto stripped = run_command("strip --strip-debug -o '" +
                                      layout_.binary("1.0.0").string() + "' '" EDGEGW_BINARY "'");
    if (stripped.exit_code != 0) throw std::runtime_error("strip: " + stripped.output);
    std::filesystem::create_symlink("releases/1.0.0", layout_.current_link());
  }
  void write_release_config(int ready_timeout_s) {
    // "on": the test machine may itself be a container.
    jobs_extra_ = "software_updates = \"on\"\ninstall_dir = \"" + layout_.root.string() +
                  "\"\ndownload_ca_file = \"" + pki_.ca_file() +
                  "\"\nready_timeout_s = " + std::to_string(ready_timeout_s) + "\n";
    write_config(60);
  }
  /// A tar.gz holding bin/edgegw: `binary`'s bytes.
  std::string artifact(const std::string& binary) const {
    const std::string staging = dir_.file("artifact");
    std::filesystem::remove_all(staging);
    std::filesystem::create_directories(staging + "/bin");
    std::filesystem::copy_file(binary, staging + "/bin/edgegw");
    std::filesystem::permissions(staging + "/bin/edgegw", std::filesystem::perms::owner_all);
    const auto made = run_command("tar -czf '" + dir_.file("artifact.tar.gz") + "' -C '" + staging +
                                  "' bin 2>&1");
    if (made.exit_code != 0) throw std::runtime_error("tar: " + made.output);
    return read_file(dir_.file("artifact.tar.gz"));
  }
  /// The job for `bytes` as served under `name`, hashed and signed by the operator.
  json::object update_job(const std::string& version, const std::string& name,
                          const std::string& bytes) const {
    std::ofstream(dir_.file("hashed"), std::ios::binary) << bytes;
    const std::string sha256 =
        run_command("sha256sum '" + dir_.file("hashed") + "' | cut -d' ' -f1").output;
    return {{"operation", "update-software"}, {"version", version},
            {"url", server_.url(name)},       {"size", bytes.size()},
            {"sha256", sha256.substr(0, 64)}, {"signature", key_.sign(bytes, dir_)}};
  }
  std::string running_binary(const Daemon& daemon) const {
    std::error_code error;
    return std::filesystem::read_symlink("/proc/" + std::to_string(daemon.pid()) + "/exe", error)
        .string();
  }
  /// The daemon as systemd starts it: through the `current` link.
  std::string installed_binary() const {
    return (layout_.current_link() / "bin" / "edgegw").string();
  }
  /// Whether the daemon has logged its first start.
  bool started() const {
    return wait_for([&] { return count(read_file(log_), " running;") == 1; });
  }
  static std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
  }

  ReleaseLayout layout_{dir_.file("install")};
  TestPki pki_{dir_.file("web-pki")};
  // The first answer is cut after 1 MiB: the download has to resume.
  ReleaseServer server_{pki_, {.cut_after = 1024 * 1024}};
  std::string log_ = dir_.file("edgegw.log");
};

TEST_F(SoftwareUpdateE2E, AGoodReleaseIsTriedSwitchedToAndReportedSucceededByTheNewRelease) {
  write_release_config(60);
  Daemon daemon(config_file_, log_, installed_binary());
  ASSERT_TRUE(started()) << read_file(log_);
  const std::string bytes = artifact(layout_.binary("1.0.0").string());
  server_.put("edgegw-2.0.0.tar.gz", bytes);
  cloud_.create_job(kThing, "update-1", update_job("2.0.0", "edgegw-2.0.0.tar.gz", bytes));

  ASSERT_TRUE(cloud_.wait_for_job(kThing, "update-1", "SUCCEEDED", kUpdateDeadline))
      << detail("update-1", "reason") << "\n"
      << read_file(log_);
  EXPECT_EQ(cloud_.job(kThing, "update-1")->history,
            (std::vector<std::string>{"IN_PROGRESS", "SUCCEEDED"}));
  EXPECT_EQ(detail("update-1", "version"), "2.0.0");
  EXPECT_EQ(detail("update-1", "previous"), "1.0.0");
  EXPECT_EQ(layout_.current_version(), "2.0.0");
  // The same process, now the new release: the supervisor saw no exit.
  EXPECT_EQ(running_binary(daemon), std::filesystem::canonical(layout_.binary("2.0.0")).string());
  // The old release stays, to go back to by hand.
  EXPECT_TRUE(std::filesystem::exists(layout_.binary("1.0.0")));
  const std::string text = read_file(log_);
  // Started three times: the old release, the new one on trial, the new one as current.
  EXPECT_EQ(count(text, " running;"), 3U) << text;
  EXPECT_NE(text.find("on trial: ready, reported"), std::string::npos);
  // The cut download was resumed from where it stopped, not started over.
  const auto ranges = server_.ranges();
  ASSERT_EQ(ranges.size(), 2U);
  EXPECT_TRUE(ranges[1].starts_with("bytes=")) << ranges[1];
  // Forgotten once the cloud has accepted the status.
  EXPECT_TRUE(
      wait_for([&] { return !std::filesystem::exists(dir_.file("jobs") + "/pending.json"); }));
  EXPECT_EQ(daemon.stop(), 0);
}

TEST_F(SoftwareUpdateE2E, AReleaseThatNeverBecomesReadyIsRolledBackAndReportedFailed) {
  write_release_config(5);
  Daemon daemon(config_file_, log_, installed_binary());
  ASSERT_TRUE(started()) << read_file(log_);
  // Starts, and never answers ready.
  std::ofstream(dir_.file("hangs.sh")) << "#!/bin/sh\necho release 2.0.0 hangs\nexec sleep 600\n";
  const std::string bytes = artifact(dir_.file("hangs.sh"));
  server_.put("edgegw-2.0.0.tar.gz", bytes);
  cloud_.create_job(kThing, "update-2", update_job("2.0.0", "edgegw-2.0.0.tar.gz", bytes));

  ASSERT_TRUE(cloud_.wait_for_job(kThing, "update-2", "FAILED", kUpdateDeadline))
      << detail("update-2", "reason") << "\n"
      << read_file(log_);
  EXPECT_EQ(detail("update-2", "reason"),
            "release 2.0.0 did not report ready within 5 s; rolled back, 1.0.0 runs");
  EXPECT_EQ(layout_.current_version(), "1.0.0");
  EXPECT_FALSE(std::filesystem::exists(layout_.release("2.0.0")));
  EXPECT_EQ(running_binary(daemon), std::filesystem::canonical(layout_.binary("1.0.0")).string());
  const std::string text = read_file(log_);
  EXPECT_NE(text.find("release 2.0.0 hangs"), std::string::npos) << text;  // it did run
  EXPECT_EQ(count(text, " running;"), 2U) << text;  // the old release, and again after
  EXPECT_EQ(daemon.stop(), 0);
}

TEST_F(SoftwareUpdateE2E, ACorruptOrForgedDownloadIsRefusedBeforeAnythingIsSwitched) {
  write_release_config(60);
  Daemon daemon(config_file_, log_, installed_binary());
  ASSERT_TRUE(started()) << read_file(log_);
  const std::string bytes = artifact(layout_.binary("1.0.0").string());
  // One byte changed on the way.
  std::string corrupt = bytes;
  corrupt[corrupt.size() / 2] ^= 0x01;
  server_.put("corrupt.tar.gz", corrupt);
  cloud_.create_job(kThing, "corrupt", update_job("2.0.0", "corrupt.tar.gz", bytes));
  ASSERT_TRUE(cloud_.wait_for_job(kThing, "corrupt", "FAILED", kUpdateDeadline))
      << detail("corrupt", "reason") << "\n"
      << read_file(log_);
  EXPECT_NE(detail("corrupt", "reason").find("corrupt download: the SHA-256"), std::string::npos)
      << detail("corrupt", "reason");
  // Hashed right, signed by someone else.
  json::object forged = update_job("2.0.0", "forged.tar.gz", bytes);
  forged["signature"] = SigningKey(dir_, "stranger").sign(bytes, dir_);
  server_.put("forged.tar.gz", bytes);
  cloud_.create_job(kThing, "forged", forged);
  ASSERT_TRUE(cloud_.wait_for_job(kThing, "forged", "FAILED", kUpdateDeadline))
      << detail("forged", "reason") << "\n"
      << read_file(log_);
  EXPECT_EQ(detail("forged", "reason"),
            "the artifact's signature does not verify under [jobs] public_key_file; nothing was "
            "switched");

  EXPECT_EQ(layout_.current_version(), "1.0.0");
  EXPECT_FALSE(std::filesystem::exists(layout_.release("2.0.0")));
  EXPECT_TRUE(std::filesystem::is_empty(dir_.file("jobs") + "/downloads"));
  EXPECT_EQ(count(read_file(log_), " running;"), 1U);  // never restarted
  EXPECT_EQ(daemon.stop(), 0);
}

TEST_F(SoftwareUpdateE2E, OnAzureTheMethodIsAnsweredAtOnceAndTheEndIsOnRecordAfterTheSwitch) {
  azure_ = true;
  const int api_port = testing::free_loopback_port();
  api_listen_ = "127.0.0.1:" + std::to_string(api_port);
  write_release_config(60);
  MqttTestSubscriber operator_client(broker_, "$iothub/methods/res/#");
  Daemon daemon(config_file_, log_, installed_binary());
  // Null while no gateway listens (starting, restarting, on trial).
  auto status = [&] {
    try {
      const auto answer = http_request(api_port, http::verb::get, "/api/v1/status");
      return answer.status == 200 ? json::parse(answer.body) : json::value();
    } catch (const std::exception&) {
      return json::value();
    }
  };
  // The gateway listens for methods once its subscriptions are granted.
  ASSERT_TRUE(wait_for([&] {
    const auto s = status();
    return s.is_object() &&
           json::serialize(s.at("uplink").at("subscriptions")).find("granted") != std::string::npos;
  })) << read_file(log_);
  const std::string bytes = artifact(layout_.binary("1.0.0").string());
  server_.put("edgegw-2.0.0.tar.gz", bytes);
  ASSERT_TRUE(
      operator_client.publish("$iothub/methods/POST/update-software/?$rid=41",
                              json::serialize(update_job("2.0.0", "edgegw-2.0.0.tar.gz", bytes))));
  // Answered before the download: a direct method's call does not last that long.
  ASSERT_TRUE(operator_client.wait_for_count(1)) << read_file(log_);
  const auto answer = operator_client.messages().front();
  EXPECT_EQ(answer.topic, "$iothub/methods/res/202/?$rid=41");
  EXPECT_EQ(json::parse(answer.payload).at("status"), "IN_PROGRESS");

  // Switched, restarted into the new release, which has the job's end on record.
  ASSERT_TRUE(wait_for(
      [&] {
        const auto s = status();
        // The trial takes no jobs: its status has none.
        return s.is_object() && s.at("jobs").is_object() && s.at("jobs").at("last").is_object() &&
               s.at("jobs").at("last").at("status") == "SUCCEEDED";
      },
      kUpdateDeadline))
      << read_file(log_);
  const auto last = status().at("jobs").at("last");
  EXPECT_EQ(last.at("job_id"), "method-41");
  EXPECT_EQ(last.at("operation"), "update-software");
  EXPECT_EQ(last.at("details").at("version"), "2.0.0");
  EXPECT_EQ(layout_.current_version(), "2.0.0");
  EXPECT_EQ(running_binary(daemon), std::filesystem::canonical(layout_.binary("2.0.0")).string());
  EXPECT_FALSE(std::filesystem::exists(dir_.file("jobs") + "/pending.json"));
  EXPECT_EQ(daemon.stop(), 0);
}

}  // namespace
}  // namespace edgegw
