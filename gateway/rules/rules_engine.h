#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "gateway/model/alarm.h"
#include "gateway/model/reading.h"
#include "gateway/rules/rule_options.h"

namespace edgegw::rules {

/// What one rule decides: an excursion began (raised) or ended (cleared).
struct Transition {
  AlarmState state = AlarmState::raised;
  std::int64_t ts_ms = 0;
  double value = 0.0;
  std::optional<double> threshold;
  std::string message;
};

/// One rule's state machine. Each rule keeps only its own small state; the engine feeds it.
class Rule {
 public:
  explicit Rule(RuleOptions options) : options_(std::move(options)) {}
  virtual ~Rule() = default;
  const RuleOptions& options() const { return options_; }
  bool raised() const { return raised_; }
  /// When it last raised; nullopt if never (since the last reset).
  std::optional<std::int64_t> raised_at_ms() const { return raised_at_ms_; }

  /// A reading of the rule's series.
  virtual std::optional<Transition> on_reading(std::int64_t /*ts_ms*/, double /*value*/) {
    return std::nullopt;
  }
  /// Time has passed: `adapter_up` says whether the rule's adapter is up (offline rules).
  virtual std::optional<Transition> on_tick(std::int64_t /*now_ms*/, bool /*adapter_up*/) {
    return std::nullopt;
  }
  /// Whether on_tick() can change anything: only rules on the absence of something do.
  virtual bool watches_time() const { return false; }
  /// Forgets the current excursion (disarmed, retuned): returns the clear if one was raised,
  /// with `why` as its message.
  std::optional<Transition> reset(std::int64_t now_ms, const std::string& why = "disarmed");

 protected:
  /// Records a state change and returns it.
  Transition enter(AlarmState state, std::int64_t ts_ms, double value,
                   std::optional<double> threshold, std::string message);
  /// Drops the kind's own state (windows, hold timers).
  virtual void forget() {}

  RuleOptions options_;
  bool raised_ = false;
  std::optional<std::int64_t> raised_at_ms_;
  double last_value_ = 0.0;
};

/// Builds the rule the options describe (they must have passed rule_shape()).
std::unique_ptr<Rule> make_rule(const RuleOptions& options);

/// The levels at which a series' readings may raise a threshold rule: at or above `high`, or at
/// or below `low` (infinite: no such rule).
struct AlarmLevels {
  double high = std::numeric_limits<double>::infinity();
  double low = -std::numeric_limits<double>::infinity();
  bool reached_by(double value) const { return value >= high || value <= low; }
};

/// Evaluates every `[[rules]]` on accepted readings and on a periodic tick, and turns their
/// transitions into alarms. Not thread-safe by design: one owner thread feeds it (ingest runs
/// it on the storage thread, after each commit), so rule state needs no locks.
class RulesEngine {
 public:
  /// Stores a published alarm and returns its id (0 if it could not be stored).
  using AlarmSink = std::function<std::int64_t(Alarm)>;
  /// Whether the named adapter is up, for offline rules.
  using AdapterUp = std::function<bool(const std::string& adapter)>;
  /// The name of a series id, for matching readings to rules.
  using SeriesName = std::function<std::optional<std::string>(SeriesId)>;

  RulesEngine(const std::vector<RuleOptions>& rules, SeriesName series_name, AlarmSink sink);

  /// Accepted readings, in the order they were accepted.
  void on_readings(std::span<const Reading> readings);
  void on_tick(std::int64_t now_ms, const AdapterUp& adapter_up);
  /// Disarming clears every raised armed_only rule; while disarmed they do not count.
  void set_armed(bool armed, std::int64_t now_ms);
  bool armed() const { return armed_; }
  /// The rule named options.name takes `options` (its thresholds changed while running; the
  /// kind stays, rule_shape() passed): an excursion under the old ones is cleared, and the new
  /// ones judge from the next reading. False when there is no such rule.
  bool retune(const RuleOptions& options, std::int64_t now_ms);
  std::size_t rule_count() const { return rules_.size(); }
  /// Whether any rule needs on_tick(); without one, nobody need wake to tick. Fixed at
  /// construction, so any thread may ask.
  bool watches_time() const { return watches_time_; }
  /// The threshold rules' levels for `series`; nullopt if no threshold rule watches it. From
  /// the owner thread (or before it runs): retune() changes them.
  std::optional<AlarmLevels> alarm_levels(const std::string& series) const;

 private:
  struct Entry {
    std::unique_ptr<Rule> rule;
    std::int64_t alarm_id = 0;        // of the raise being published, for its clear
    std::vector<std::size_t> combos;  // all_of rules that watch this one
    std::vector<const Rule*> parts;   // for an all_of rule: the rules it watches
  };

  void apply(std::size_t index, const std::optional<Transition>& transition);
  void publish(Entry& entry, const Transition& transition);
  bool counts(const Entry& entry) const { return armed_ || !entry.rule->options().armed_only; }
  const std::vector<std::size_t>& rules_for(SeriesId series);

  bool watches_time_ = false;

  std::vector<Entry> entries_;
  std::vector<Rule*> rules_;  // same order as entries_
  std::unordered_map<std::string, std::vector<std::size_t>> by_series_name_;
  // By series id, filled on first sight: ids are small and dense (the buffer hands them out in
  // order), and this lookup runs for every accepted reading.
  std::vector<std::optional<std::vector<std::size_t>>> by_series_id_;
  SeriesName series_name_;
  AlarmSink sink_;
  bool armed_ = true;
};

}  // namespace edgegw::rules
