// The device's side of AWS IoT Jobs above the transport: what it asks after a connect, when it
// runs a job, what it reports, and how it survives lost answers, canceled jobs and restarts.
// The Jobs service is played by the test through a FakeTransport; the exchange with mosquitto
// and a Jobs service is tests/integration/jobs_e2e.
#include "gateway/jobs/job_agent.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>

#include "tests/fakes/fake_transport.h"
#include "tests/temp_dir.h"

namespace edgegw {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr const char* kJobs = "$aws/things/gw-01/jobs";

class JobAgentTest : public ::testing::Test {
 protected:
  JobAgent& agent() {
    if (!agent_) make_agent();
    return *agent_;
  }
  void make_agent() {
    agent_.emplace(
        JobAgentOptions{.thing_name = "gw-01", .pending_file = pending_file_, .timeout = 30s},
        [this](const Job& job, JobAgent::Done done) {
          ran_.push_back(job.id);
          if (hold_runs_) {
            held_ = std::move(done);
          } else {
            done(outcome_);
          }
        },
        [this] { ++restarts_; },
        [this](const std::string& topic, const std::string& payload) {
          sent_.push_back({topic, payload});
        },
        clock_);
    transport_ = std::make_unique<FakeTransport>();
    agent_->subscribe(*transport_);
  }
  void connect() {
    agent().connection_changed(true);
    agent().poll();
  }
  json::object last_sent() const { return json::parse(sent_.back().second).as_object(); }
  std::string last_topic() const { return sent_.back().first; }
  std::string last_token() const { return std::string(last_sent().at("clientToken").as_string()); }
  /// The cloud answers the latest request on `topic`/accepted.
  void accept(const std::string& topic, json::object answer = {}) {
    answer["clientToken"] = last_token();
    transport_->deliver(topic + "/accepted", json::serialize(answer));
  }
  void reject(const std::string& topic, const std::string& code) {
    transport_->deliver(topic + "/rejected",
                        json::serialize(json::object{
                            {"clientToken", last_token()}, {"code", code}, {"message", "test"}}));
  }
  static json::object execution(const std::string& id, const std::string& status = "QUEUED") {
    return {{"execution", json::object{{"jobId", id},
                                       {"status", status},
                                       {"jobDocument", json::object{{"operation", "restart"}}},
                                       {"versionNumber", 1},
                                       {"executionNumber", 1}}}};
  }
  std::string update_topic(const std::string& id) const {
    return std::string(kJobs) + "/" + id + "/update";
  }
  std::string next_topic() const { return std::string(kJobs) + "/$next/get"; }

  TempDir dir_;
  std::filesystem::path pending_file_ = dir_.path() / "jobs" / "pending.json";
  ManualClock clock_;
  std::unique_ptr<FakeTransport> transport_;
  std::vector<std::pair<std::string, std::string>> sent_;
  std::vector<std::string> ran_;
  JobOutcome outcome_{
      .status = JobStatus::succeeded, .details = {{"k", "v"}}, .restart = false, .release = {}};
  bool hold_runs_ = false;
  JobAgent::Done held_;
  int restarts_ = 0;
  std::optional<JobAgent> agent_;
};

TEST_F(JobAgentTest, AQueuedJobRunsOnlyOnceTheCloudAcceptedItInProgressThenItsStatusIsReported) {
  connect();
  ASSERT_EQ(last_topic(), next_topic());
  accept(next_topic(), execution("job-1"));
  EXPECT_EQ(last_topic(), update_topic("job-1"));
  EXPECT_EQ(last_sent().at("status"), "IN_PROGRESS");
  EXPECT_TRUE(ran_.empty());

  accept(update_topic("job-1"));
  ASSERT_EQ(ran_, std::vector<std::string>{"job-1"});
  EXPECT_EQ(last_topic(), update_topic("job-1"));
  EXPECT_EQ(last_sent().at("status"), "SUCCEEDED");
  EXPECT_EQ(last_sent().at("statusDetails").at("k"), "v");

  accept(update_topic("job-1"));
  // Done: the next one is asked for.
  EXPECT_EQ(last_topic(), next_topic());
  EXPECT_EQ(agent().status().last_status, "SUCCEEDED");
  EXPECT_EQ(agent().status().finished.at("SUCCEEDED"), 1U);
}

TEST_F(JobAgentTest, NothingPendingWaitsForNotifyNextWhichStartsTheJob) {
  connect();
  accept(next_topic(), {});
  EXPECT_EQ(agent().status().step, "idle");
  const auto sent = sent_.size();
  clock_.advance(10min);
  agent().poll();
  EXPECT_EQ(sent_.size(), sent) << "idle sends nothing";
  transport_->deliver(std::string(kJobs) + "/notify-next", json::serialize(execution("job-2")));
  EXPECT_EQ(last_topic(), update_topic("job-2"));
  EXPECT_EQ(last_sent().at("status"), "IN_PROGRESS");
}

TEST_F(JobAgentTest, AnAnswerToSomeoneElsesRequestIsIgnoredAndAnUnansweredOneIsSentAgain) {
  connect();
  transport_->deliver(next_topic() + "/accepted",
                      json::serialize(json::object{{"clientToken", "not-ours"},
                                                   {"execution", execution("x").at("execution")}}));
  EXPECT_EQ(last_topic(), next_topic());
  EXPECT_EQ(sent_.size(), 1U);
  clock_.advance(29s);
  agent().poll();
  EXPECT_EQ(sent_.size(), 1U);
  clock_.advance(2s);
  agent().poll();
  ASSERT_EQ(sent_.size(), 2U);
  EXPECT_EQ(last_topic(), next_topic());
}

TEST_F(JobAgentTest, ALostFinalUpdateIsSentAgainAfterAReconnect) {
  connect();
  accept(next_topic(), execution("job-3"));
  accept(update_topic("job-3"));
  ASSERT_EQ(last_sent().at("status"), "SUCCEEDED");
  agent().connection_changed(false);
  agent().connection_changed(true);
  EXPECT_EQ(last_topic(), update_topic("job-3"));
  EXPECT_EQ(last_sent().at("status"), "SUCCEEDED");
  EXPECT_EQ(ran_.size(), 1U) << "not run twice";
}

TEST_F(JobAgentTest, AJobTheOperatorCanceledIsLetGoAndTheNextAskedFor) {
  connect();
  accept(next_topic(), execution("job-4"));
  reject(update_topic("job-4"), "TerminalStateReached");
  EXPECT_TRUE(ran_.empty());
  EXPECT_EQ(last_topic(), next_topic());
  EXPECT_EQ(agent().status().last_status, "let go");
}

TEST_F(JobAgentTest, AThrottledUpdateIsKeptAndSentAgainLater) {
  connect();
  accept(next_topic(), execution("job-5"));
  reject(update_topic("job-5"), "RequestThrottled");
  EXPECT_NE(agent().status().last_error.find("RequestThrottled"), std::string::npos);
  clock_.advance(31s);
  agent().poll();
  EXPECT_EQ(last_topic(), update_topic("job-5"));
  EXPECT_EQ(last_sent().at("status"), "IN_PROGRESS");
}

TEST_F(JobAgentTest, AJobAlreadyInProgressAfterACrashRunsAgainWithoutAnotherInProgress) {
  connect();
  accept(next_topic(), execution("job-6", "IN_PROGRESS"));
  EXPECT_EQ(ran_, std::vector<std::string>{"job-6"});
  EXPECT_EQ(last_sent().at("status"), "SUCCEEDED");
}

TEST_F(JobAgentTest, AJobEndingInARestartIsKeptFirstAndTheNextProcessReportsIt) {
  outcome_ = {.status = JobStatus::succeeded,
              .details = {{"restarted", "yes"}},
              .restart = true,
              .release = {}};
  connect();
  accept(next_topic(), execution("job-7"));
  accept(update_topic("job-7"));
  EXPECT_EQ(restarts_, 1);
  EXPECT_EQ(last_sent().at("status"), "IN_PROGRESS") << "nothing final before the restart";
  ASSERT_TRUE(std::filesystem::exists(pending_file_));

  // The process after the restart.
  sent_.clear();
  ran_.clear();
  make_agent();
  EXPECT_EQ(agent().status().current, "job-7");
  connect();
  ASSERT_EQ(last_topic(), update_topic("job-7"));
  EXPECT_EQ(last_sent().at("status"), "SUCCEEDED");
  EXPECT_EQ(last_sent().at("statusDetails").at("restarted"), "yes");
  accept(update_topic("job-7"));
  EXPECT_FALSE(std::filesystem::exists(pending_file_));
  EXPECT_TRUE(ran_.empty()) << "not run again";
  EXPECT_EQ(last_topic(), next_topic());
}

TEST_F(JobAgentTest, AnUnreadablePendingRecordIsSetAsideAndTheAgentStartsClean) {
  std::filesystem::create_directories(pending_file_.parent_path());
  std::ofstream(pending_file_) << "{not json";
  connect();
  EXPECT_EQ(last_topic(), next_topic());
  EXPECT_FALSE(std::filesystem::exists(pending_file_));
  EXPECT_TRUE(std::filesystem::exists(pending_file_.string() + ".unreadable"));
}

TEST_F(JobAgentTest, AJobRunningWhileTheConnectionDropsReportsOnceItIsBack) {
  hold_runs_ = true;
  connect();
  accept(next_topic(), execution("job-8"));
  accept(update_topic("job-8"));
  ASSERT_TRUE(held_);
  agent().connection_changed(false);
  agent().connection_changed(true);
  EXPECT_EQ(last_sent().at("status"), "IN_PROGRESS") << "the job is still running";
  held_(outcome_);
  EXPECT_EQ(last_sent().at("status"), "SUCCEEDED");
}

}  // namespace
}  // namespace edgegw
