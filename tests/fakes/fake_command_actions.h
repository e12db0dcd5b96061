#pragma once

#include <boost/json.hpp>
#include <stdexcept>

#include "gateway/cloud/commands.h"

namespace edgegw::cloud {

/// The gateway as the commands see it: an armed flag, a flush counter, a status document.
struct FakeGateway {
  bool armed = true;
  int arm_calls = 0;
  int flushes = 0;
  bool status_throws = false;
  std::vector<Job> jobs;  ///< run, in order
  JobOutcome job_outcome{.status = JobStatus::succeeded,
                         .details = {{"applied", "live"}},
                         .restart = false,
                         .release = {}};

  CommandActions actions() {
    return {.status = [this]() -> boost::json::value {
              if (status_throws) throw std::runtime_error("storage is gone");
              return boost::json::object{{"armed", armed}, {"gateway_id", "gw"}};
            },
            .set_armed =
                [this](bool on) {
                  armed = on;
                  ++arm_calls;
                },
            .flush = [this] { ++flushes; },
            .run_job =
                [this](const Job& job) {
                  jobs.push_back(job);
                  return job_outcome;
                }};
  }
};

}  // namespace edgegw::cloud
