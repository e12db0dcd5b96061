#include "gateway/rules/rules_engine.h"

#include <algorithm>
#include <climits>
#include <cmath>

#include "gateway/model/option_table.h"

namespace edgegw::rules {
namespace {

std::int64_t to_ms(double seconds) {
  return std::llround(seconds * 1000.0);
}

/// above / below a level, with hysteresis and a hold time.
class ThresholdRule final : public Rule {
 public:
  explicit ThresholdRule(RuleOptions options)
      : Rule(std::move(options)),
        upward_(is_set(options_.above)),
        threshold_(upward_ ? options_.above : options_.below),
        clear_at_(upward_ ? (is_set(options_.clear_below) ? options_.clear_below : threshold_)
                          : (is_set(options_.clear_above) ? options_.clear_above : threshold_)),
        hold_ms_(to_ms(options_.for_s)) {}

  std::optional<Transition> on_reading(std::int64_t ts_ms, double value) override {
    const char* side = upward_ ? "above" : "below";
    if (!raised_) {
      const bool beyond = upward_ ? value > threshold_ : value < threshold_;
      if (!beyond) {
        beyond_since_.reset();
        return std::nullopt;
      }
      if (!beyond_since_) beyond_since_ = ts_ms;
      if (ts_ms - *beyond_since_ < hold_ms_) return std::nullopt;
      beyond_since_.reset();
      return enter(AlarmState::raised, ts_ms, value, threshold_,
                   options_.series + " " + format_number(value) + " " + side + " " +
                       format_number(threshold_));
    }
    const bool back = upward_ ? value < clear_at_ : value > clear_at_;
    if (!back) return std::nullopt;
    return enter(AlarmState::cleared, ts_ms, value, clear_at_,
                 options_.series + " " + format_number(value) + " back " +
                     (upward_ ? "below " : "above ") + format_number(clear_at_));
  }

 private:
  void forget() override { beyond_since_.reset(); }

  const bool upward_;
  const double threshold_;
  const double clear_at_;
  const std::int64_t hold_ms_;
  std::optional<std::int64_t> beyond_since_;
};

/// A fall (or climb) of at least `drop` (`rise`) within a window of readings.
class ChangeRule final : public Rule {
 public:
  explicit ChangeRule(RuleOptions options)
      : Rule(std::move(options)),
        falling_(is_set(options_.drop)),
        amount_(falling_ ? options_.drop : options_.rise),
        window_ms_(to_ms(options_.within_s)) {}

  std::optional<Transition> on_reading(std::int64_t ts_ms, double value) override {
    // The window's extreme (highest for a drop, lowest for a rise) in a monotonic queue.
    auto dominates = [this](double a, double b) { return falling_ ? a >= b : a <= b; };
    while (!window_.empty() && !dominates(window_.back().second, value)) window_.pop_back();
    window_.emplace_back(ts_ms, value);
    while (ts_ms - window_.front().first > window_ms_) window_.pop_front();
    const double extreme = window_.front().second;
    const double change = falling_ ? extreme - value : value - extreme;
    const bool changed = change >= amount_;
    if (changed == raised_) return std::nullopt;
    if (changed) {
      const double level = falling_ ? extreme - amount_ : extreme + amount_;
      return enter(AlarmState::raised, ts_ms, value, level,
                   options_.series + (falling_ ? " fell by " : " rose by ") +
                       format_number(change) + " within " + format_number(options_.within_s) +
                       " s");
    }
    return enter(AlarmState::cleared, ts_ms, value, std::nullopt,
                 options_.series + " steady again");
  }

 private:
  void forget() override { window_.clear(); }

  const bool falling_;
  const double amount_;
  const std::int64_t window_ms_;
  std::deque<std::pair<std::int64_t, double>> window_;
};

/// No reading of a series for a while.
class StaleRule final : public Rule {
 public:
  explicit StaleRule(RuleOptions options)
      : Rule(std::move(options)), after_ms_(to_ms(options_.stale_after_s)) {}

  std::optional<Transition> on_reading(std::int64_t ts_ms, double value) override {
    last_ms_ = std::max(last_ms_.value_or(ts_ms), ts_ms);
    if (!raised_) return std::nullopt;
    return enter(AlarmState::cleared, ts_ms, value, std::nullopt,
                 options_.series + " is reporting again");
  }

  bool watches_time() const override { return true; }
  std::optional<Transition> on_tick(std::int64_t now_ms, bool) override {
    if (!last_ms_) last_ms_ = now_ms;  // never seen: counted from the first look
    if (raised_ || now_ms - *last_ms_ <= after_ms_) return std::nullopt;
    return enter(AlarmState::raised, now_ms, static_cast<double>(now_ms - *last_ms_) / 1000.0,
                 options_.stale_after_s,
                 "no reading of " + options_.series + " for " +
                     format_number(options_.stale_after_s) + " s");
  }

 private:
  const std::int64_t after_ms_;
  std::optional<std::int64_t> last_ms_;
};

/// An adapter down for a while.
class OfflineRule final : public Rule {
 public:
  explicit OfflineRule(RuleOptions options)
      : Rule(std::move(options)), after_ms_(to_ms(options_.offline_after_s)) {}

  bool watches_time() const override { return true; }
  std::optional<Transition> on_tick(std::int64_t now_ms, bool adapter_up) override {
    if (adapter_up) {
      down_since_.reset();
      if (!raised_) return std::nullopt;
      return enter(AlarmState::cleared, now_ms, 1.0, std::nullopt,
                   "adapter " + options_.adapter + " is up again");
    }
    if (!down_since_) down_since_ = now_ms;
    if (raised_ || now_ms - *down_since_ < after_ms_) return std::nullopt;
    return enter(AlarmState::raised, now_ms, 0.0, options_.offline_after_s,
                 "adapter " + options_.adapter + " down for " +
                     format_number(static_cast<double>(now_ms - *down_since_) / 1000.0) + " s");
  }

 private:
  void forget() override { down_since_.reset(); }

  const std::int64_t after_ms_;
  std::optional<std::int64_t> down_since_;
};

/// Other rules raised within a window of each other.
class AllOfRule final : public Rule {
 public:
  explicit AllOfRule(RuleOptions options)
      : Rule(std::move(options)), window_ms_(to_ms(options_.within_s)) {}

  std::optional<Transition> on_constituents(const std::vector<const Rule*>& parts,
                                            std::int64_t ts_ms, double value) {
    bool any_raised = false;
    bool all_ever = true;
    std::int64_t first = INT64_MAX;
    std::int64_t last = INT64_MIN;
    for (const Rule* part : parts) {
      any_raised = any_raised || part->raised();
      const auto at = part->raised_at_ms();
      all_ever = all_ever && at.has_value();
      first = std::min(first, at.value_or(INT64_MAX));
      last = std::max(last, at.value_or(INT64_MIN));
    }
    if (raised_) {
      if (any_raised) return std::nullopt;
      cleared_at_ms_ = ts_ms;
      return enter(AlarmState::cleared, ts_ms, value, std::nullopt,
                   options_.all_of + ": all cleared");
    }
    if (!all_ever || last - first > window_ms_ || ts_ms != last) return std::nullopt;
    // Every part must have raised anew since the last excursion ended: a pass-by after a theft
    // is not a second theft.
    if (cleared_at_ms_ && first <= *cleared_at_ms_) return std::nullopt;
    return enter(AlarmState::raised, ts_ms, value, std::nullopt,
                 options_.all_of + " within " + format_number(options_.within_s) + " s");
  }

 private:
  void forget() override { cleared_at_ms_.reset(); }

  const std::int64_t window_ms_;
  std::optional<std::int64_t> cleared_at_ms_;
};

}  // namespace

Transition Rule::enter(AlarmState state, std::int64_t ts_ms, double value,
                       std::optional<double> threshold, std::string message) {
  raised_ = state == AlarmState::raised;
  if (raised_) raised_at_ms_ = ts_ms;
  last_value_ = value;
  return {.state = state,
          .ts_ms = ts_ms,
          .value = value,
          .threshold = threshold,
          .message = std::move(message)};
}

std::optional<Transition> Rule::reset(std::int64_t now_ms, const std::string& why) {
  std::optional<Transition> cleared;
  if (raised_) cleared = enter(AlarmState::cleared, now_ms, last_value_, std::nullopt, why);
  forget();
  raised_at_ms_.reset();
  return cleared;
}

std::unique_ptr<Rule> make_rule(const RuleOptions& options) {
  switch (rule_shape(options).kind) {
    case RuleKind::threshold:
      return std::make_unique<ThresholdRule>(options);
    case RuleKind::change:
      return std::make_unique<ChangeRule>(options);
    case RuleKind::stale:
      return std::make_unique<StaleRule>(options);
    case RuleKind::offline:
      return std::make_unique<OfflineRule>(options);
    case RuleKind::all_of:
      break;
  }
  return std::make_unique<AllOfRule>(options);
}

RulesEngine::RulesEngine(const std::vector<RuleOptions>& rules, SeriesName series_name,
                         AlarmSink sink)
    : series_name_(std::move(series_name)), sink_(std::move(sink)) {
  std::map<std::string, std::size_t> index_of;
  for (const auto& options : rules) {
    index_of[options.name] = entries_.size();
    entries_.push_back({.rule = make_rule(options), .alarm_id = 0, .combos = {}, .parts = {}});
    rules_.push_back(entries_.back().rule.get());
    watches_time_ = watches_time_ || rules_.back()->watches_time();
    if (!options.series.empty()) by_series_name_[options.series].push_back(entries_.size() - 1);
  }
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    for (const auto& name : all_of_names(entries_[i].rule->options())) {
      const auto at = index_of.find(name);
      if (at == index_of.end()) continue;  // check_rules reports it; the config loader refuses
      entries_[at->second].combos.push_back(i);
      entries_[i].parts.push_back(entries_[at->second].rule.get());
    }
  }
}

std::optional<AlarmLevels> RulesEngine::alarm_levels(const std::string& series) const {
  const auto at = by_series_name_.find(series);
  if (at == by_series_name_.end()) return std::nullopt;
  AlarmLevels levels;
  bool any = false;
  for (const auto index : at->second) {
    const RuleOptions& options = entries_[index].rule->options();
    // Unset thresholds are NaN.
    if (!std::isnan(options.above)) {
      levels.high = std::min(levels.high, options.above);
      any = true;
    }
    if (!std::isnan(options.below)) {
      levels.low = std::max(levels.low, options.below);
      any = true;
    }
  }
  if (!any) return std::nullopt;
  return levels;
}

const std::vector<std::size_t>& RulesEngine::rules_for(SeriesId series) {
  if (series >= by_series_id_.size()) by_series_id_.resize(series + 1);
  auto& known = by_series_id_[series];
  if (!known) {
    known.emplace();
    if (auto name = series_name_(series)) {
      if (auto at = by_series_name_.find(*name); at != by_series_name_.end()) *known = at->second;
    }
  }
  return *known;
}

void RulesEngine::on_readings(std::span<const Reading> readings) {
  if (entries_.empty()) return;
  for (const Reading& reading : readings) {
    for (std::size_t index : rules_for(reading.series)) {
      if (!counts(entries_[index])) continue;
      apply(index, entries_[index].rule->on_reading(reading.ts_ms, reading.value));
    }
  }
}

void RulesEngine::on_tick(std::int64_t now_ms, const AdapterUp& adapter_up) {
  for (std::size_t index = 0; index < entries_.size(); ++index) {
    if (!counts(entries_[index])) continue;
    const RuleOptions& options = entries_[index].rule->options();
    const bool up = options.adapter.empty() || adapter_up(options.adapter);
    apply(index, entries_[index].rule->on_tick(now_ms, up));
  }
}

void RulesEngine::set_armed(bool armed, std::int64_t now_ms) {
  if (armed == armed_) return;
  armed_ = armed;
  if (armed) return;
  for (std::size_t index = 0; index < entries_.size(); ++index) {
    if (entries_[index].rule->options().armed_only) {
      apply(index, entries_[index].rule->reset(now_ms));
    }
  }
}

bool RulesEngine::retune(const RuleOptions& options, std::int64_t now_ms) {
  for (std::size_t index = 0; index < entries_.size(); ++index) {
    Entry& entry = entries_[index];
    if (entry.rule->options().name != options.name) continue;
    apply(index, entry.rule->reset(now_ms, "thresholds changed"));
    const Rule* old = entry.rule.get();
    entry.rule = make_rule(options);
    rules_[index] = entry.rule.get();
    for (auto& other : entries_) {
      for (auto& part : other.parts) {
        if (part == old) part = entry.rule.get();
      }
    }
    return true;
  }
  return false;
}

void RulesEngine::apply(std::size_t index, const std::optional<Transition>& transition) {
  if (!transition) return;
  Entry& entry = entries_[index];
  if (entry.rule->options().publish) publish(entry, *transition);
  for (std::size_t combo : entry.combos) {
    if (!counts(entries_[combo])) continue;
    auto* all_of = static_cast<AllOfRule*>(entries_[combo].rule.get());
    apply(combo,
          all_of->on_constituents(entries_[combo].parts, transition->ts_ms, transition->value));
  }
}

void RulesEngine::publish(Entry& entry, const Transition& transition) {
  const RuleOptions& options = entry.rule->options();
  if (transition.state == AlarmState::cleared && entry.alarm_id == 0) return;  // raise not stored
  Alarm alarm{.id = 0,
              .alarm_id = transition.state == AlarmState::cleared ? entry.alarm_id : 0,
              .kind = options.name,
              .series = options.series.empty() ? options.adapter : options.series,
              .ts_ms = transition.ts_ms,
              .value = transition.value,
              .message = options.message.empty()
                             ? transition.message
                             : options.message +
                                   (transition.state == AlarmState::cleared ? " (cleared)" : ""),
              .state = transition.state,
              .severity = parse_severity(options.severity).value_or(Severity::warning),
              .threshold = transition.threshold,
              .first_ts_ms = entry.rule->raised_at_ms().value_or(transition.ts_ms),
              .last_ts_ms = transition.ts_ms};
  const std::int64_t id = sink_(std::move(alarm));
  entry.alarm_id = transition.state == AlarmState::raised ? id : 0;
}

}  // namespace edgegw::rules
