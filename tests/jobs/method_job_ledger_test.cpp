#include "gateway/jobs/method_job_ledger.h"

#include <gtest/gtest.h>

namespace edgegw {
namespace {

TEST(MethodJobLedger, OneJobRunsAtATimeAndItsEndBecomesTheLast) {
  MethodJobLedger ledger;
  EXPECT_TRUE(ledger.start({.id = "method-1", .document = {}}));
  EXPECT_FALSE(ledger.start({.id = "method-2", .document = {}}));
  EXPECT_EQ(ledger.status().current, "method-1");
  EXPECT_EQ(ledger.status().step, "running");

  ledger.finish("method-1", "update-software", job_refusal(JobStatus::failed, "corrupt"));
  const JobsStatus status = ledger.status();
  EXPECT_TRUE(status.current.empty());
  EXPECT_EQ(status.step, "idle");
  EXPECT_EQ(status.last_job, "method-1");
  EXPECT_EQ(status.last_operation, "update-software");
  EXPECT_EQ(status.last_status, "FAILED");
  EXPECT_EQ(status.last_details.at("reason"), "corrupt");
  EXPECT_EQ(status.finished.at("FAILED"), 1U);
  EXPECT_TRUE(ledger.start({.id = "method-2", .document = {}}));
}

TEST(MethodJobLedger, AJobARestartFinishedLeavesTheOneRunningAlone) {
  MethodJobLedger ledger;
  ASSERT_TRUE(ledger.start({.id = "method-5", .document = {}}));
  // The restart's record names another job: the running one stays current.
  ledger.finish("method-4", "restart",
                {.status = JobStatus::succeeded, .details = {}, .restart = false, .release = {}});
  EXPECT_EQ(ledger.status().current, "method-5");
  EXPECT_EQ(ledger.status().last_job, "method-4");
}

}  // namespace
}  // namespace edgegw
