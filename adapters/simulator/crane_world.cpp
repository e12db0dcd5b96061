#include <algorithm>
#include <cmath>
#include <cstdint>
#include <deque>
#include <numbers>

#include "adapters/simulator/simulated_world.h"
#include "adapters/simulator/simulation_random.h"

namespace edgegw {
namespace {

constexpr double kBoomLengthM = 40.0;
constexpr double kPivotHeightM = 3.0;
constexpr double kPivotOffsetM = 1.0;  // slew axis to boom foot
constexpr double kBoomMassKg = 2500.0;
constexpr double kHookMassKg = 300.0;
constexpr double kMaxMomentKgM = 180'000.0;  // the load chart: load x radius
constexpr double kAmbientC = 18.0;
constexpr double kMotorTauS = 300.0;
constexpr double kWindTauS = 20.0;
constexpr double kWindSigmaMs = 1.5;
constexpr double kGustIntervalS = 60.0;

double seconds(std::int64_t ns) {
  return static_cast<double>(ns) * 1e-9;
}
std::int64_t nanoseconds(double s) {
  return static_cast<std::int64_t>(s * 1e9);
}

double radius_for(double boom_deg) {
  return kPivotOffsetM + kBoomLengthM * std::cos(boom_deg * std::numbers::pi / 180.0);
}
double tip_height_for(double boom_deg) {
  return kPivotHeightM + kBoomLengthM * std::sin(boom_deg * std::numbers::pi / 180.0);
}
/// Signed shortest turn from `from` to `to`, in (-180, 180].
double shortest_turn(double from, double to) {
  double d = std::fmod(to - from, 360.0);
  if (d > 180.0) d -= 360.0;
  if (d <= -180.0) d += 360.0;
  return d;
}

struct Pose {
  double boom_deg = 45.0;
  double slew_deg = 0.0;
  double hook_m = 10.0;
};

/// A stretch of a lift cycle: the crane moves smoothly from one pose to another while the hook
/// load ramps (attach, release) or stays constant.
struct Phase {
  enum class Kind { wait, move, attach, release } kind = Kind::wait;
  std::int64_t start_ns = 0;
  std::int64_t end_ns = 0;
  Pose from;
  Pose to;
  double cargo_kg = 0.0;  ///< load during the phase (attach: after, release: before)
};

/// A luffing-boom crane doing lift cycles: wait, move the empty hook to a pick point, attach
/// the cargo, hoist, slew and luff to a place point, lower, release, hoist the empty hook. The
/// channels are derived from one pose and load, so radius follows the boom angle, hydraulic
/// pressure follows the load moment and the motor warms up under hoisting work.
class CraneWorld final : public SimulatedWorld {
 public:
  explicit CraneWorld(const SimulatorOptions& options)
      : random_(static_cast<std::uint64_t>(options.seed) ^ 0xc7a4e5ULL),
        wind_mean_ms_(options.wind_mean_ms) {
    channels_ = {
        {.channel = "load_kg",
         .unit = "kg",
         .resolution = 1.0,
         .rate_hz = 10.0,
         .noise_sigma = 3.0,
         .min = 0.0},
        {.channel = "boom_angle_deg",
         .unit = "deg",
         .resolution = 0.1,
         .rate_hz = 5.0,
         .noise_sigma = 0.05,
         .min = 0.0,
         .max = 90.0},
        {.channel = "radius_m",
         .unit = "m",
         .resolution = 0.01,
         .rate_hz = 5.0,
         .noise_sigma = 0.01,
         .min = 0.0},
        {.channel = "hoist_height_m",
         .unit = "m",
         .resolution = 0.01,
         .rate_hz = 10.0,
         .noise_sigma = 0.01,
         .min = 0.0},
        {.channel = "wind_speed_ms",
         .unit = "m/s",
         .resolution = 0.1,
         .rate_hz = 2.0,
         .noise_sigma = 0.1,
         .min = 0.0},
        {.channel = "slew_angle_deg",
         .unit = "deg",
         .resolution = 0.1,
         .rate_hz = 5.0,
         .noise_sigma = 0.05,
         .wrap = 360.0},
        {.channel = "hydraulic_bar",
         .unit = "bar",
         .resolution = 0.1,
         .rate_hz = 10.0,
         .noise_sigma = 1.5,
         .min = 0.0},
        {.channel = "motor_temp_c",
         .unit = "degC",
         .resolution = 0.1,
         .rate_hz = 1.0,
         .noise_sigma = 0.1},
    };
    pose_.slew_deg = random_.uniform(0.0, 360.0);
    motor_c_ = kAmbientC + random_.uniform(5.0, 15.0);
    plan_cycle(0, pose_);
    phase_ = phases_.front();
    phases_.pop_front();
    next_gust_ns_ = nanoseconds(random_.exponential(kGustIntervalS));
  }

  const std::vector<SimulatedChannel>& channels() const override { return channels_; }

  void advance_to(std::int64_t t_ns) override {
    const double dt = seconds(t_ns - now_ns_);
    now_ns_ = t_ns;
    while (t_ns >= phase_.end_ns) {
      if (phases_.empty()) plan_cycle(phase_.end_ns, phase_.to);
      phase_ = phases_.front();
      phases_.pop_front();
    }
    update_kinematics();
    // The motor relaxes toward a temperature set by the mechanical power it delivers.
    const double target_c = kAmbientC + 0.9 * power_kw_;
    motor_c_ += (target_c - motor_c_) * (1.0 - std::exp(-dt / kMotorTauS));
  }

  double value(std::size_t index) override {
    switch (index) {
      case 0:
        return load_kg_;
      case 1:
        return pose_.boom_deg;
      case 2:
        return radius_for(pose_.boom_deg);
      case 3:
        return pose_.hook_m;
      case 4:
        return wind();
      case 5:
        return pose_.slew_deg;
      case 6: {
        const double radius = radius_for(pose_.boom_deg);
        const double moment_tm = (load_kg_ * radius + kBoomMassKg * radius / 2.0) / 1000.0;
        return 25.0 + 1.1 * moment_tm + 15.0 * luffing_;
      }
      default:
        return motor_c_;
    }
  }

 private:
  static double smoothstep(double u) { return u * u * (3.0 - 2.0 * u); }
  static double smoothstep_slope(double u) { return 6.0 * u * (1.0 - u); }

  void update_kinematics() {
    const double duration_s = std::max(seconds(phase_.end_ns - phase_.start_ns), 1e-3);
    const double u = std::clamp(seconds(now_ns_ - phase_.start_ns) / duration_s, 0.0, 1.0);
    const double s = smoothstep(u);
    const double slope = smoothstep_slope(u) / duration_s;  // ds/dt
    const Pose& a = phase_.from;
    const Pose& b = phase_.to;
    const double turn = shortest_turn(a.slew_deg, b.slew_deg);

    pose_.boom_deg = a.boom_deg + (b.boom_deg - a.boom_deg) * s;
    pose_.slew_deg = std::fmod(a.slew_deg + turn * s + 360.0, 360.0);
    pose_.hook_m =
        std::min(a.hook_m + (b.hook_m - a.hook_m) * s, tip_height_for(pose_.boom_deg) - 2.0);

    const double since_start_s = seconds(now_ns_ - phase_.start_ns);
    const double until_end_s = seconds(phase_.end_ns - now_ns_);
    switch (phase_.kind) {
      case Phase::Kind::attach:  // slack taken up over the last 4 s
        load_kg_ = phase_.cargo_kg * smoothstep(std::clamp(1.0 - until_end_s / 4.0, 0.0, 1.0));
        break;
      case Phase::Kind::release:  // set down over the first 3 s
        load_kg_ = phase_.cargo_kg * (1.0 - smoothstep(std::clamp(since_start_s / 3.0, 0.0, 1.0)));
        break;
      case Phase::Kind::move: {
        // A suspended load swings, which the load cell sees as a slow oscillation.
        const double swing = 0.015 * std::sin(2.0 * std::numbers::pi * seconds(now_ns_) / 2.2);
        load_kg_ = phase_.cargo_kg * (1.0 + swing);
        break;
      }
      case Phase::Kind::wait:
        load_kg_ = phase_.cargo_kg;
        break;
    }

    const double hook_speed = std::abs((b.hook_m - a.hook_m) * slope);
    const double slew_speed = std::abs(turn * slope);
    const double luff_speed = std::abs((b.boom_deg - a.boom_deg) * slope);
    luffing_ = std::min(luff_speed / 1.5, 1.0);
    power_kw_ = (load_kg_ + kHookMassKg) * 9.81 * hook_speed / 1000.0 / 0.85 +
                (slew_speed > 0.05 ? 5.0 : 0.0) + 8.0 * luffing_;
  }

  double wind() {
    // Ornstein-Uhlenbeck turbulence around the mean, updated exactly over the elapsed time.
    const double dt = seconds(now_ns_ - wind_updated_ns_);
    wind_updated_ns_ = now_ns_;
    const double decay = std::exp(-dt / kWindTauS);
    turbulence_ =
        turbulence_ * decay + kWindSigmaMs * std::sqrt(1.0 - decay * decay) * random_.normal();

    while (now_ns_ >= gust_end_ns_ && now_ns_ >= next_gust_ns_) {
      gust_start_ns_ = next_gust_ns_;
      gust_end_ns_ = gust_start_ns_ + nanoseconds(random_.uniform(3.0, 15.0));
      gust_peak_ms_ = random_.uniform(2.0, 8.0) * std::max(wind_mean_ms_, 1.0) / 6.0;
      next_gust_ns_ = gust_end_ns_ + nanoseconds(random_.exponential(kGustIntervalS));
    }
    double gust = 0.0;
    if (now_ns_ >= gust_start_ns_ && now_ns_ < gust_end_ns_) {
      const double u = seconds(now_ns_ - gust_start_ns_) / seconds(gust_end_ns_ - gust_start_ns_);
      gust = gust_peak_ms_ * std::sin(std::numbers::pi * u);
    }
    return std::max(0.0, wind_mean_ms_ + turbulence_ + gust);
  }

  void add_phase(Phase::Kind kind, std::int64_t& at_ns, double duration_s, const Pose& from,
                 const Pose& to, double cargo_kg) {
    Phase phase{kind, at_ns, at_ns + nanoseconds(duration_s), from, to, cargo_kg};
    at_ns = phase.end_ns;
    phases_.push_back(phase);
  }

  static double move_seconds(const Pose& a, const Pose& b, double slew_dps, double luff_dps,
                             double hoist_mps) {
    return std::max({std::abs(shortest_turn(a.slew_deg, b.slew_deg)) / slew_dps,
                     std::abs(b.boom_deg - a.boom_deg) / luff_dps,
                     std::abs(b.hook_m - a.hook_m) / hoist_mps, 4.0});
  }

  /// Appends one full lift cycle starting at `at_ns` in pose `start`.
  void plan_cycle(std::int64_t at_ns, const Pose& start) {
    Pose pick{random_.uniform(25.0, 75.0), random_.uniform(0.0, 360.0), random_.uniform(0.5, 1.5)};
    Pose place{random_.uniform(25.0, 75.0), random_.uniform(0.0, 360.0),
               random_.uniform(0.5, 20.0)};
    const double lowest_tip =
        std::min({tip_height_for(pick.boom_deg), tip_height_for(place.boom_deg),
                  tip_height_for(start.boom_deg)});
    const double travel_m = std::min(random_.uniform(12.0, 25.0), lowest_tip - 3.0);
    place.hook_m = std::min(place.hook_m, travel_m);
    const double heaviest = std::min(
        8000.0, kMaxMomentKgM / std::max(radius_for(pick.boom_deg), radius_for(place.boom_deg)));
    const double cargo = random_.uniform(300.0, heaviest);

    Pose pick_up = pick;
    pick_up.hook_m = travel_m;
    Pose place_up = place;
    place_up.hook_m = travel_m;

    add_phase(Phase::Kind::wait, at_ns, random_.uniform(5.0, 60.0), start, start, 0.0);
    add_phase(Phase::Kind::move, at_ns, move_seconds(start, pick, 6.0, 1.5, 1.2), start, pick, 0.0);
    add_phase(Phase::Kind::attach, at_ns, random_.uniform(20.0, 60.0), pick, pick, cargo);
    add_phase(Phase::Kind::move, at_ns, move_seconds(pick, pick_up, 6.0, 1.5, 0.8), pick, pick_up,
              cargo);
    add_phase(Phase::Kind::move, at_ns, move_seconds(pick_up, place_up, 5.0, 1.0, 0.8), pick_up,
              place_up, cargo);
    add_phase(Phase::Kind::move, at_ns, move_seconds(place_up, place, 5.0, 1.0, 0.6), place_up,
              place, cargo);
    add_phase(Phase::Kind::release, at_ns, random_.uniform(10.0, 40.0), place, place, cargo);
    add_phase(Phase::Kind::move, at_ns, move_seconds(place, place_up, 6.0, 1.5, 1.2), place,
              place_up, 0.0);
  }

  std::vector<SimulatedChannel> channels_;
  SimulationRandom random_;
  double wind_mean_ms_;

  std::int64_t now_ns_ = 0;
  std::deque<Phase> phases_;
  Phase phase_;
  Pose pose_;
  double load_kg_ = 0.0;
  double luffing_ = 0.0;
  double power_kw_ = 0.0;
  double motor_c_ = kAmbientC;

  std::int64_t wind_updated_ns_ = 0;
  double turbulence_ = 0.0;
  std::int64_t next_gust_ns_ = 0;
  std::int64_t gust_start_ns_ = 0;
  std::int64_t gust_end_ns_ = 0;
  double gust_peak_ms_ = 0.0;
};

}  // namespace

std::unique_ptr<SimulatedWorld> make_crane_world(const SimulatorOptions& options) {
  return std::make_unique<CraneWorld>(options);
}

}  // namespace edgegw
