// The update-software steps that need no network: the document's checks, the install layout,
// and the trial of a staged release. The releases on trial are real child processes (shell
// scripts standing in for bin/edgegw) that report ready on EDGEGW_TRIAL_FD, exit, hang or
// are stopped; what the trial leaves behind (the `current` link, the releases, pending.json)
// is read from the disk.
#include "gateway/jobs/software_update.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "tests/read_file.h"
#include "tests/run_command.h"
#include "tests/temp_dir.h"

namespace edgegw {
namespace {

namespace fs = std::filesystem;

class SoftwareUpdate : public ::testing::Test {
 protected:
  SoftwareUpdate() {
    options_.install_dir = dir_.file("install");
    options_.dir = dir_.file("jobs");
    options_.ready_timeout_s = 5;
    add_release("1.0", "exec sleep 30\n");
    fs::create_symlink("releases/1.0", layout_.current_link());
    sigemptyset(&signals_);
    sigaddset(&signals_, SIGTERM);
  }
  /// releases/<version>/bin/edgegw as a shell script with `body`.
  void add_release(const std::string& version, const std::string& body) const {
    fs::create_directories(layout_.binary(version).parent_path());
    std::ofstream(layout_.binary(version)) << "#!/bin/sh\n" << body;
    fs::permissions(layout_.binary(version), fs::perms::owner_all);
  }
  /// pending.json as stage_release leaves it: release 2.0 waits for its trial.
  void stage(const std::string& body) const {
    add_release("2.0", body);
    write_pending_job(pending_job_file(options_.dir),
                      {.job_id = "update-1",
                       .operation = "update-software",
                       .outcome = {.status = JobStatus::succeeded,
                                   .details = {},
                                   .restart = true,
                                   .release = StagedRelease{.version = "2.0", .previous = "1.0"}}});
  }
  bool trial() {
    std::vector<std::string> args{"edgegw", "run", "--config", "gw.toml"};
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    return run_release_trial(options_, argv.data(), signals_, [this] { ++keep_alives_; });
  }
  PendingJob pending() const { return *read_pending_job(pending_job_file(options_.dir)); }

  TempDir dir_;
  JobOptions options_;
  ReleaseLayout layout_{dir_.file("install")};
  sigset_t signals_{};
  int keep_alives_ = 0;
};

TEST_F(SoftwareUpdate, AReleaseThatReportsReadyBecomesCurrentAndTheJobSucceeds) {
  add_release("0.9", "exit 0\n");  // older than the previous one: pruned
  stage("echo \"$@\" > " + dir_.file("args") + "\necho ready >&3\nexec sleep 30\n");
  EXPECT_TRUE(trial());
  EXPECT_EQ(layout_.current_version(), "2.0");
  EXPECT_EQ(fs::read_symlink(layout_.current_link()), "releases/2.0");
  // The previous release is kept to go back to by hand; older ones go.
  EXPECT_TRUE(fs::exists(layout_.binary("1.0")));
  EXPECT_FALSE(fs::exists(layout_.release("0.9")));
  // It ran with the gateway's own arguments.
  EXPECT_EQ(read_file(dir_.file("args")), "run --config gw.toml\n");
  const PendingJob job = pending();
  EXPECT_EQ(job.outcome.status, JobStatus::succeeded);
  EXPECT_FALSE(job.outcome.release);
  EXPECT_EQ(job.outcome.details.at("version"), "2.0");
  EXPECT_EQ(job.outcome.details.at("previous"), "1.0");
  EXPECT_EQ(restart_executable(options_), "/proc/self/exe");  // this test does not run from there
}

TEST_F(SoftwareUpdate, AReleaseThatExitsBeforeItIsReadyIsRemovedAndTheOldOneStaysCurrent) {
  stage("exit 3\n");
  EXPECT_TRUE(trial());
  EXPECT_EQ(layout_.current_version(), "1.0");
  EXPECT_FALSE(fs::exists(layout_.release("2.0")));
  const PendingJob job = pending();
  EXPECT_EQ(job.outcome.status, JobStatus::failed);
  EXPECT_EQ(job.outcome.details.at("reason"),
            "release 2.0 exited with status 3 before it was ready; rolled back, 1.0 runs");
}

TEST_F(SoftwareUpdate, AReleaseThatNeverReportsReadyIsStoppedAtTheDeadlineAndRolledBack) {
  stage("exec sleep 60\n");
  EXPECT_TRUE(trial());
  EXPECT_EQ(layout_.current_version(), "1.0");
  EXPECT_FALSE(fs::exists(layout_.release("2.0")));
  EXPECT_EQ(pending().outcome.details.at("reason"),
            "release 2.0 did not report ready within 5 s; rolled back, 1.0 runs");
  // The watcher kept telling systemd it is alive all along.
  EXPECT_GE(keep_alives_, 20);
}

TEST_F(SoftwareUpdate, AStopSignalDuringTheTrialEndsItTheOldReleaseStaysAndTheGatewayExits) {
  stage("exec sleep 60\n");
  pthread_sigmask(SIG_BLOCK, &signals_, nullptr);
  ::kill(::getpid(), SIGTERM);  // pending until the trial takes it
  EXPECT_FALSE(trial());
  pthread_sigmask(SIG_UNBLOCK, &signals_, nullptr);
  EXPECT_EQ(layout_.current_version(), "1.0");
  EXPECT_EQ(pending().outcome.status, JobStatus::failed);
  EXPECT_NE(pending().outcome.details.at("reason").find("told to stop"), std::string::npos);
}

TEST_F(SoftwareUpdate, WithNoReleaseWaitingThereIsNoTrial) {
  EXPECT_TRUE(trial());
  EXPECT_FALSE(fs::exists(pending_job_file(options_.dir)));
  EXPECT_EQ(layout_.current_version(), "1.0");
}

TEST_F(SoftwareUpdate, ATrialCutShortByACrashIsReportedFailedAtTheNextStart) {
  stage("exit 0\n");
  abandon_interrupted_trial(options_);
  EXPECT_EQ(pending().outcome.status, JobStatus::failed);
  EXPECT_NE(pending().outcome.details.at("reason").find("stopped during the trial"),
            std::string::npos);
  EXPECT_FALSE(fs::exists(layout_.release("2.0")));
  EXPECT_EQ(layout_.current_version(), "1.0");
}

TEST_F(SoftwareUpdate, ACrashAfterTheSwitchButBeforeTheRecordCountsAsSucceeded) {
  stage("exit 0\n");
  fs::remove(layout_.current_link());
  fs::create_symlink("releases/2.0", layout_.current_link());
  abandon_interrupted_trial(options_);
  EXPECT_EQ(pending().outcome.status, JobStatus::succeeded);
  EXPECT_TRUE(fs::exists(layout_.binary("2.0")));
}

TEST_F(SoftwareUpdate, CurrentCountsOnlyAsALinkToAReleaseFolder) {
  fs::remove(layout_.current_link());
  EXPECT_FALSE(layout_.current_version());
  fs::create_symlink("/usr/bin", layout_.current_link());
  EXPECT_FALSE(layout_.current_version());
  fs::remove(layout_.current_link());
  fs::create_symlink(dir_.file("install/releases/1.0"), layout_.current_link());
  EXPECT_EQ(layout_.current_version(), "1.0");
}

class StageRelease : public SoftwareUpdate {
 protected:
  StageRelease() {
    run_command("openssl genpkey -algorithm ed25519 -out '" + dir_.file("k.pem") +
                "' && openssl pkey -in '" + dir_.file("k.pem") + "' -pubout -out '" +
                dir_.file("k.pub") + "'");
  }
  JobOutcome stage_with(boost::json::object document, bool with_key = true) const {
    document["operation"] = "update-software";
    const auto key = SignatureKey::load(dir_.file("k.pub"));
    return stage_release({.id = "u", .document = std::move(document)}, options_,
                         with_key ? &key : nullptr, not_cancelled_);
  }
  static boost::json::object good_document() {
    return {{"version", "2.0"},
            {"url", "https://localhost/edgegw-2.0.tar.gz"},
            {"size", 1000},
            {"sha256", std::string(64, 'a')},
            {"signature", "AAAA"}};
  }
  const std::atomic<bool> not_cancelled_{false};
};

TEST_F(StageRelease, WithoutAKeyTheJobIsRejected) {
  const auto outcome = stage_with(good_document(), false);
  EXPECT_EQ(outcome.status, JobStatus::rejected);
  EXPECT_NE(outcome.details.at("reason").find("public_key_file"), std::string::npos);
}

TEST_F(StageRelease, AMalformedDocumentFailsWithWhatIsWrong) {
  auto document = good_document();
  document.erase("sha256");
  EXPECT_NE(stage_with(document).details.at("reason").find("needs \"version\""), std::string::npos);
  document = good_document();
  document["version"] = "../../etc";
  EXPECT_NE(stage_with(document).details.at("reason").find("\"version\" must be"),
            std::string::npos);
  document = good_document();
  document["sha256"] = "abc";
  EXPECT_EQ(stage_with(document).details.at("reason"), "\"sha256\" must be 64 hex digits");
  document = good_document();
  document["size"] = -5;
  EXPECT_NE(stage_with(document).details.at("reason").find("\"size\" must be"), std::string::npos);
  EXPECT_EQ(stage_with(document).status, JobStatus::failed);
}

TEST_F(StageRelease, AGatewayThatDoesNotRunFromTheReleasesRefusesTheUpdate) {
  // This test binary runs from the build tree, not from install/releases.
  const auto outcome = stage_with(good_document());
  EXPECT_EQ(outcome.status, JobStatus::rejected);
  EXPECT_NE(outcome.details.at("reason").find("not from a release under"), std::string::npos)
      << outcome.details.at("reason");
  fs::remove(layout_.current_link());
  EXPECT_NE(stage_with(good_document()).details.at("reason").find("not installed as releases"),
            std::string::npos);
}

}  // namespace
}  // namespace edgegw
