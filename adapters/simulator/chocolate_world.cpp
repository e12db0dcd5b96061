#include <algorithm>
#include <cstdint>
#include <limits>
#include <utility>

#include "adapters/simulator/simulated_world.h"
#include "adapters/simulator/simulation_random.h"

namespace edgegw {
namespace {

constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();
constexpr double kFullBoxG = 500.0;
constexpr double kPassByIntervalS = 600.0;  // people walking past without touching the box
constexpr double kNearlyEmptyG = 60.0;

std::int64_t seconds_to_ns(double s) {
  return static_cast<std::int64_t>(s * 1e9);
}

/// A box of chocolate on a load cell, watched by a PIR sensor. Visitors arrive as Poisson
/// processes: some only pass by (motion), some take a piece (motion, then a 5-15 g step), and
/// now and then one takes the whole box (motion, then a drop to near 0 g until a refill).
class ChocolateWorld final : public SimulatedWorld {
 public:
  explicit ChocolateWorld(const SimulatorOptions& options)
      : random_(static_cast<std::uint64_t>(options.seed) ^ 0xc0c0a0ULL),
        eat_mean_s_(options.eat_interval_s),
        theft_mean_s_(options.theft_interval_s),
        refill_after_ns_(seconds_to_ns(options.refill_after_s)) {
    channels_ = {
        {.channel = "load_g", .unit = "g", .resolution = 0.1, .rate_hz = 10.0, .noise_sigma = 0.3},
        {.channel = "motion",
         .unit = "",
         .resolution = 1.0,
         .rate_hz = 10.0,
         .report_changes_only = true},
    };
    weight_g_ = kFullBoxG + random_.uniform(-15.0, 15.0);
    next_pass_ns_ = schedule(0, kPassByIntervalS);
    next_eat_ns_ = schedule(0, eat_mean_s_);
    next_theft_ns_ = schedule(0, theft_mean_s_);
  }

  const std::vector<SimulatedChannel>& channels() const override { return channels_; }

  void advance_to(std::int64_t t_ns) override {
    now_ns_ = t_ns;
    for (;;) {
      const std::int64_t due =
          std::min({next_pass_ns_, next_eat_ns_, next_theft_ns_, change_at_ns_, refill_at_ns_});
      if (due > t_ns) return;
      if (due == change_at_ns_) {
        weight_g_ = changed_weight_g_;
        change_at_ns_ = kNever;
        if (box_present_ && weight_g_ < kNearlyEmptyG && refill_at_ns_ == kNever) {
          refill_at_ns_ = due + refill_after_ns_;
        }
      } else if (due == refill_at_ns_) {
        refill_at_ns_ = kNever;
        box_present_ = true;
        weight_g_ = kFullBoxG + random_.uniform(-15.0, 15.0);
        move(due, 10.0);
      } else if (due == next_theft_ns_) {
        next_theft_ns_ = schedule(due, theft_mean_s_);
        if (box_present_ && change_at_ns_ == kNever) {
          move(due, random_.uniform(5.0, 15.0));
          box_present_ = false;
          change_at_ns_ = due + seconds_to_ns(random_.uniform(2.0, 4.0));
          changed_weight_g_ = random_.uniform(0.0, 2.0);  // crumbs on the tray
          refill_at_ns_ = change_at_ns_ + refill_after_ns_;
        }
      } else if (due == next_eat_ns_) {
        next_eat_ns_ = schedule(due, eat_mean_s_);
        if (box_present_ && change_at_ns_ == kNever && weight_g_ > kNearlyEmptyG) {
          move(due, random_.uniform(10.0, 40.0));
          change_at_ns_ = due + seconds_to_ns(random_.uniform(3.0, 8.0));
          changed_weight_g_ = weight_g_ - random_.uniform(5.0, 15.0);
        }
      } else {
        next_pass_ns_ = schedule(due, kPassByIntervalS);
        move(due, random_.uniform(4.0, 20.0));
      }
    }
  }

  double value(std::size_t index) override {
    if (index == 0) return weight_g_;
    return now_ns_ < motion_until_ns_ ? 1.0 : 0.0;
  }

 private:
  std::int64_t schedule(std::int64_t from_ns, double mean_s) {
    if (mean_s <= 0) return kNever;
    return from_ns + std::max<std::int64_t>(1, seconds_to_ns(random_.exponential(mean_s)));
  }
  void move(std::int64_t at_ns, double seconds) {
    motion_until_ns_ = std::max(motion_until_ns_, at_ns + seconds_to_ns(seconds));
  }

  std::vector<SimulatedChannel> channels_;
  SimulationRandom random_;
  double eat_mean_s_;
  double theft_mean_s_;
  std::int64_t refill_after_ns_;

  std::int64_t now_ns_ = 0;
  double weight_g_ = 0.0;
  bool box_present_ = true;
  std::int64_t motion_until_ns_ = 0;
  std::int64_t next_pass_ns_ = kNever;
  std::int64_t next_eat_ns_ = kNever;
  std::int64_t next_theft_ns_ = kNever;
  std::int64_t change_at_ns_ = kNever;
  double changed_weight_g_ = 0.0;
  std::int64_t refill_at_ns_ = kNever;
};

}  // namespace

std::unique_ptr<SimulatedWorld> make_chocolate_world(const SimulatorOptions& options) {
  return std::make_unique<ChocolateWorld>(options);
}

}  // namespace edgegw
