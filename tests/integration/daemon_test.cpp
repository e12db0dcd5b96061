// The edgegw binary as a user runs it: a config file, `edgegw run`, SIGTERM; bundles decoded
// with `edgegw decode`. Nothing here is faked: real SQLite file, real simulator, real files.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "proto/bundle_decoder.h"
#include "tests/http_client.h"
#include "tests/integration/child_process.h"
#include "tests/integration/edgegw_process.h"
#include "tests/temp_dir.h"
#include "tests/test_pki.h"
#include "tests/wait_for.h"

namespace edgegw {
namespace {

class DaemonTest : public ::testing::Test {
 protected:
  void write_config(const std::string& encoding) {
    std::ofstream(config_) << "gateway_id = \"it-gw\"\n"
                           << "[storage]\npath = \"" << (dir_.path() / "buffer.db").string()
                           << "\"\nsynchronous = \"normal\"\n"
                           << "[bundle]\nmax_latency_s = 1\nencoding = \"" << encoding << "\"\n"
                           << "[api]\nlisten = \"127.0.0.1:0\"\n"
                           << "[uplink]\nprovider = \"aws\"\ndirectory = \"" << outbox_.string()
                           << "\"\n"
                           << "[[adapters]]\ntype = \"simulator\"\nprofile = \"crane\"\n"
                           << "rate_scale = 20\n"
                           << "[[adapters]]\ntype = \"simulator\"\nprofile = \"chocolate\"\n";
  }

  TempDir dir_;
  std::filesystem::path config_ = dir_.path() / "edgegw.toml";
  std::filesystem::path outbox_ = dir_.path() / "outbox";
  std::filesystem::path log_ = dir_.path() / "edgegw.log";
};

TEST_F(DaemonTest, RunsSimulatorsIntoBundlesThatDecodeAndResumesAfterRestart) {
  write_config("proto");
  std::map<std::string, std::int64_t> last_ts;  // per series, across every bundle
  std::set<std::uint64_t> seqs;
  std::size_t readings = 0;
  for (int run = 0; run < 2; ++run) {
    std::size_t before = bundle_files(outbox_).size();
    Daemon daemon(config_, log_);
    ASSERT_TRUE(wait_for([&] { return bundle_files(outbox_).size() >= before + 3; }))
        << read_file(log_);
    EXPECT_EQ(daemon.stop(), 0) << read_file(log_);
  }
  auto files = bundle_files(outbox_);
  std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) {
    return std::stoull(a.stem().string()) < std::stoull(b.stem().string());
  });
  for (const auto& file : files) {
    DecodedBundle bundle = decode_bundle(read_file(file));
    EXPECT_EQ(bundle.gateway_id, "it-gw");
    EXPECT_EQ(std::to_string(bundle.bundle_seq), file.stem().string());
    EXPECT_TRUE(seqs.insert(bundle.bundle_seq).second) << "bundle_seq reused";
    EXPECT_LE(read_file(file).size(), 5120u - std::string("edgegw/it-gw/telemetry").size());
    for (const auto& r : bundle.readings) {
      // Bundles go out oldest first, so within a series time only moves forward.
      EXPECT_GE(r.ts_ms, last_ts[r.series]) << r.series << " in bundle " << bundle.bundle_seq;
      last_ts[r.series] = r.ts_ms;
      ++readings;
    }
  }
  EXPECT_EQ(*seqs.begin(), 1u);
  EXPECT_EQ(*seqs.rbegin(), seqs.size()) << "bundle_seq has no gaps across the restart";
  EXPECT_GT(readings, 1000u);
  EXPECT_TRUE(last_ts.contains("crane.load_kg"));
  EXPECT_TRUE(last_ts.contains("chocolate.load_g"));
}

TEST_F(DaemonTest, SighupAppliesWhatCanChangeLiveAndRefusesABrokenFile) {
  write_config("proto");
  Daemon daemon(config_, log_);
  std::smatch port;
  const std::regex listening(R"(api listening on \S+ \(port (\d+))");
  ASSERT_TRUE(wait_for([&] {
    const std::string text = read_file(log_);
    return std::regex_search(text, port, listening);
  })) << read_file(log_);
  const auto api = static_cast<std::uint16_t>(std::stoi(port[1].str()));

  std::string text = read_file(config_);
  text.replace(text.find("max_latency_s = 1"), 17, "max_latency_s = 7");
  text.replace(text.find("synchronous = \"normal\""), 22, "synchronous = \"full\"");
  std::ofstream(config_) << text;
  daemon.signal(SIGHUP);
  ASSERT_TRUE(wait_for([&] {
    return read_file(log_).find(
               "reload: storage.synchronous changed in the file; it takes a "
               "restart") != std::string::npos;
  })) << read_file(log_);
  EXPECT_NE(read_file(log_).find("settings: bundle.max_latency_s changed live"), std::string::npos);
  const auto shown = http_request(api, boost::beast::http::verb::get, "/api/v1/config").body;
  EXPECT_NE(shown.find("\"max_latency_s\":7"), std::string::npos) << shown;
  EXPECT_NE(shown.find("\"synchronous\":\"normal\""), std::string::npos) << shown;

  std::ofstream(config_) << "[bundle]\nmax_latency_s = \"soon\"\n";
  daemon.signal(SIGHUP);
  ASSERT_TRUE(wait_for([&] {
    return read_file(log_).find("refused, the running config stays") != std::string::npos;
  })) << read_file(log_);
  EXPECT_NE(http_request(api, boost::beast::http::verb::get, "/api/v1/config")
                .body.find("\"max_latency_s\":7"),
            std::string::npos);
  EXPECT_EQ(daemon.stop(), 0) << read_file(log_);
}

/// The service manager's end of sd_notify: a datagram socket at `path`, as systemd makes for a
/// Type=notify unit and passes in NOTIFY_SOCKET.
class NotifySocket {
 public:
  explicit NotifySocket(const std::filesystem::path& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      throw std::runtime_error("cannot bind " + path.string());
    }
    const timeval timeout{.tv_sec = 0, .tv_usec = 100'000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  }
  ~NotifySocket() { ::close(fd_); }
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  /// Every message so far, in order (each may hold several NAME=value lines).
  const std::vector<std::string>& messages() {
    char buffer[4096];
    ssize_t got = 0;
    while ((got = ::recv(fd_, buffer, sizeof buffer, MSG_DONTWAIT)) > 0) {
      messages_.emplace_back(buffer, static_cast<std::size_t>(got));
    }
    return messages_;
  }
  std::size_t count(const std::string& line) {
    std::size_t n = 0;
    for (const auto& message : messages()) {
      n += ("\n" + message + "\n").find("\n" + line + "\n") != std::string::npos;
    }
    return n;
  }

 private:
  std::filesystem::path path_;
  int fd_ = -1;
  std::vector<std::string> messages_;
};

TEST_F(DaemonTest, UnderSystemdItSaysReadyPingsTheWatchdogReloadsAndSaysWhenItStops) {
  write_config("proto");
  NotifySocket systemd(dir_.path() / "notify");
  // What systemd sets for a Type=notify unit with WatchdogSec=1.
  ::setenv("NOTIFY_SOCKET", (dir_.path() / "notify").c_str(), 1);
  ::setenv("WATCHDOG_USEC", "1000000", 1);
  Daemon daemon(config_, log_);
  ::unsetenv("NOTIFY_SOCKET");
  ::unsetenv("WATCHDOG_USEC");
  ASSERT_TRUE(wait_for([&] { return systemd.count("READY=1") == 1; })) << read_file(log_);
  // Pinged at half the watchdog's time, while the event loop answers.
  ASSERT_TRUE(wait_for([&] { return systemd.count("WATCHDOG=1") >= 3; })) << read_file(log_);
  EXPECT_NE(read_file(log_).find("systemd: watchdog every 500 ms"), std::string::npos);

  daemon.signal(SIGHUP);
  ASSERT_TRUE(wait_for([&] { return systemd.count("READY=1") == 2; })) << read_file(log_);
  EXPECT_EQ(systemd.count("RELOADING=1"), 1U);
  EXPECT_EQ(systemd.count("STOPPING=1"), 0U);

  EXPECT_EQ(daemon.stop(), 0) << read_file(log_);
  EXPECT_EQ(systemd.count("STOPPING=1"), 1U);
  // RELOADING=1 came between the two READY=1.
  std::vector<std::string> states;
  for (const auto& message : systemd.messages()) {
    for (const char* state : {"READY=1", "RELOADING=1", "STOPPING=1"}) {
      if (message.starts_with(state)) states.emplace_back(state);
    }
  }
  EXPECT_EQ(states, (std::vector<std::string>{"READY=1", "RELOADING=1", "READY=1", "STOPPING=1"}));
}

TEST_F(DaemonTest, DecodeCommandPrintsABundleAsJson) {
  write_config("proto+zstd");
  Daemon daemon(config_, log_);
  ASSERT_TRUE(wait_for([&] { return !bundle_files(outbox_).empty(); })) << read_file(log_);
  daemon.stop();
  auto file = bundle_files(outbox_).front();
  auto result = run_edgegw({"decode"}, read_file(file));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("\"gateway_id\":\"it-gw\""), std::string::npos) << result.output;
  // Series by name: whichever simulator's readings the first bundle holds.
  EXPECT_TRUE(result.output.find("\"series\":\"crane.") != std::string::npos ||
              result.output.find("\"series\":\"chocolate.") != std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("\"ts_ms\":"), std::string::npos);
}

/// The API port the daemon logged once listening; 0 until then.
int logged_api_port(const std::filesystem::path& log) {
  static const std::regex kListening(R"(api listening on \S+ \(port (\d+))");
  std::smatch match;
  const std::string text = read_file(log);
  return std::regex_search(text, match, kListening) ? std::stoi(match[1]) : 0;
}

TEST_F(DaemonTest, ServesTheApiOverHttpsToCurl) {
  TestPki pki((dir_.path() / "pki").string());
  write_config("proto");
  std::ofstream(config_, std::ios::app) << "[api.tls]\ncert_file = \"" << pki.server().cert_file
                                        << "\"\nkey_file = \"" << pki.server().key_file << "\"\n";
  Daemon daemon(config_, log_);
  ASSERT_TRUE(wait_for([&] { return logged_api_port(log_) != 0; })) << read_file(log_);
  const std::string port = std::to_string(logged_api_port(log_));

  // curl checks the certificate against the CA and the name "localhost" it was made for.
  const auto status = run_command("curl -sS --max-time 10 --cacert '" + pki.ca_file() +
                                  "' https://localhost:" + port + "/api/v1/status 2>&1");
  EXPECT_EQ(status.exit_code, 0) << status.output;
  EXPECT_NE(status.output.find("\"gateway_id\":\"it-gw\""), std::string::npos) << status.output;

  const auto plain =
      run_command("curl -sS --max-time 10 http://localhost:" + port + "/healthz 2>&1");
  EXPECT_NE(plain.exit_code, 0) << "plain HTTP on the HTTPS port: " << plain.output;
  EXPECT_EQ(daemon.stop(), 0) << read_file(log_);
}

TEST_F(DaemonTest, HealthcheckCommandSaysWhetherTheApiAnswersOverHttpAndHttps) {
  TestPki pki((dir_.path() / "pki").string());
  for (const bool https : {false, true}) {
    SCOPED_TRACE(https ? "https" : "http");
    write_config("proto");
    std::string text = read_file(config_);
    // The image's listen address: every interface; the probe asks at loopback.
    text.replace(text.find("127.0.0.1:0"), 11,
                 "0.0.0.0:" + std::to_string(testing::free_loopback_port()));
    std::ofstream(config_) << text;
    if (https) {
      std::ofstream(config_, std::ios::app)
          << "[api.tls]\ncert_file = \"" << pki.server().cert_file << "\"\nkey_file = \""
          << pki.server().key_file << "\"\n";
    }
    const auto before = run_edgegw({"healthcheck", "--config", config_.string()});
    EXPECT_EQ(before.exit_code, 1) << before.output;
    EXPECT_NE(before.output.find("/healthz"), std::string::npos) << before.output;

    Daemon daemon(config_, log_);
    ASSERT_TRUE(wait_for([&] { return logged_api_port(log_) != 0; })) << read_file(log_);
    const auto running = run_edgegw({"healthcheck", "--config", config_.string()});
    EXPECT_EQ(running.exit_code, 0) << running.output;
    EXPECT_NE(running.output.find("healthcheck: 200 OK"), std::string::npos) << running.output;
    EXPECT_EQ(daemon.stop(), 0) << read_file(log_);

    const auto after = run_edgegw({"healthcheck", "--config", config_.string()});
    EXPECT_EQ(after.exit_code, 1) << after.output;
    std::filesystem::remove(log_);
  }
}

TEST_F(DaemonTest, RefusesToStartWithAnApiKeyOthersCanRead) {
  TestPki pki((dir_.path() / "pki").string());
  std::filesystem::permissions(pki.server().key_file, std::filesystem::perms::others_read,
                               std::filesystem::perm_options::add);
  write_config("proto");
  std::ofstream(config_, std::ios::app) << "[api.tls]\ncert_file = \"" << pki.server().cert_file
                                        << "\"\nkey_file = \"" << pki.server().key_file << "\"\n";
  const auto result = run_edgegw({"run", "--config", config_.string()});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("api.tls.key_file"), std::string::npos) << result.output;
}

TEST(Cli, DecodeRejectsGarbageWithAClearError) {
  auto result = run_edgegw({"decode"}, "this is not a bundle");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("edgegw:"), std::string::npos) << result.output;
}

TEST(Cli, CheckConfigReportsEveryProblemWithItsLine) {
  TempDir dir;
  auto path = dir.path() / "bad.toml";
  std::ofstream(path) << "gateway_id = \"gw\"\n[bundle]\nunit_bytes = 10\n[uplink]\nprot = 1\n";
  auto result = run_edgegw({"check-config", path.string()});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("bad.toml:3: bundle.unit_bytes is 10"), std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("bad.toml:5: uplink.prot unknown key"), std::string::npos)
      << result.output;
}

TEST(Cli, CheckConfigAcceptsTheShippedConfigsWithoutAWarning) {
  for (const char* shipped : {"demo.toml", "crane.toml", "chocolate.toml"}) {
    auto result =
        run_edgegw({"check-config", std::string(EDGEGW_SOURCE_DIR "/deploy/config/") + shipped});
    EXPECT_EQ(result.exit_code, 0) << result.output;
    EXPECT_EQ(result.output.find("warning"), std::string::npos) << result.output;
  }
}

TEST(Cli, CheckConfigWarnsOfARuleThatCanNeverFire) {
  TempDir dir;
  auto path = dir.path() / "typo.toml";
  std::ofstream(path) << "gateway_id = \"gw\"\n[[adapters]]\ntype = \"simulator\"\n"
                         "profile = \"crane\"\n[[rules]]\nname = \"overload\"\n"
                         "series = \"crane.load_kgs\"\nabove = 5000\n";
  auto result = run_edgegw({"check-config", path.string()});
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("warning: rule overload: no adapter produces series "
                               "\"crane.load_kgs\""),
            std::string::npos)
      << result.output;
}

TEST(Cli, CostComparesBundledWithOneReadingPerMessage) {
  auto result = run_edgegw({"cost", "--rates", "48"});
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("AWS IoT Core"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("Azure IoT Hub"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("naive JSON"), std::string::npos) << result.output;
}

TEST(Cli, CostShowsHowEachProvidersFullBundleIsMeteredWithinOneUnit) {
  auto result = run_edgegw({"cost", "--config", EDGEGW_SOURCE_DIR "/deploy/config/demo.toml"});
  ASSERT_EQ(result.exit_code, 0) << result.output;
  // demo.toml: gateway demo-gw, proto bundles, the default telemetry topic.
  EXPECT_NE(result.output.find("metered at 5120 bytes = payload 5096 + topic 24, one 5120-byte"),
            std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("metered at 4096 bytes = payload 3907 + properties 22 + stamped "
                               "by the hub 167, one 4096-byte"),
            std::string::npos)
      << result.output;
  // Both bundled rows bill one unit per message.
  std::size_t bundled_rows = 0;
  std::istringstream lines(result.output);
  for (std::string line; std::getline(lines, line);) {
    if (line.find(" bundled ") == std::string::npos) continue;
    ++bundled_rows;
    std::istringstream cells(line.substr(line.find(" bundled ") + 9));
    std::string readings, bytes, units;
    cells >> readings >> bytes >> units;
    EXPECT_EQ(units, "1") << line;
  }
  EXPECT_EQ(bundled_rows, 2u) << result.output;
}

TEST(Cli, RunRefusesABrokenConfigWithoutStarting) {
  TempDir dir;
  auto path = dir.path() / "broken.toml";
  std::ofstream(path) << "gateway_id = \n";
  auto result = run_edgegw({"run", "--config", path.string()});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("broken.toml:1: not valid TOML"), std::string::npos)
      << result.output;
}

}  // namespace
}  // namespace edgegw
