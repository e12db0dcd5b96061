#include "gateway/rules/rule_options.h"

#include <set>

#include "gateway/model/alarm.h"

namespace edgegw::rules {

const OptionTable<RuleOptions>& rule_option_table() {
  static const OptionTable<RuleOptions> table = {
      {.key = "name",
       .member = &RuleOptions::name,
       .description = "The alarm's kind, e.g. \"overload\"; unique among the rules.",
       .required = true},
      {.key = "series",
       .member = &RuleOptions::series,
       .description = "The series the rule watches (threshold, change and stale rules)."},
      {.key = "above",
       .member = &RuleOptions::above,
       .description = "Threshold rule: raise when a reading is above this."},
      {.key = "below",
       .member = &RuleOptions::below,
       .description = "Threshold rule: raise when a reading is below this."},
      {.key = "clear_below",
       .member = &RuleOptions::clear_below,
       .description = "With above: clear only once a reading is below this (hysteresis). "
                      "Default: the threshold itself."},
      {.key = "clear_above",
       .member = &RuleOptions::clear_above,
       .description = "With below: clear only once a reading is above this. Default: the "
                      "threshold itself."},
      {.key = "for_s",
       .member = &RuleOptions::for_s,
       .description = "Threshold rule: the readings must stay past the threshold this long "
                      "(by their timestamps) before it raises.",
       .min = 0},
      {.key = "drop",
       .member = &RuleOptions::drop,
       .description = "Change rule: raise when the series falls by at least this much within "
                      "within_s seconds (the chocolate leaving the scale).",
       .min = 0},
      {.key = "rise",
       .member = &RuleOptions::rise,
       .description = "Change rule: raise when the series climbs by at least this much within "
                      "within_s seconds.",
       .min = 0},
      {.key = "within_s",
       .member = &RuleOptions::within_s,
       .description = "Change rule: the window of the change. all_of rule: the other rules must "
                      "have raised within this many seconds of each other.",
       .min = 0},
      {.key = "stale_after_s",
       .member = &RuleOptions::stale_after_s,
       .description = "Stale rule: raise when the series has had no reading for this long; "
                      "clear on the next reading.",
       .min = 1},
      {.key = "adapter",
       .member = &RuleOptions::adapter,
       .description = "Offline rule: the adapter (by name) that is watched."},
      {.key = "offline_after_s",
       .member = &RuleOptions::offline_after_s,
       .description = "Offline rule: raise when the adapter has been down this long; clear when "
                      "it is up again.",
       .min = 1},
      {.key = "all_of",
       .member = &RuleOptions::all_of,
       .description = "All-of rule: a list of other rules' names, e.g. [\"weight_drop\", "
                      "\"motion\"]; raises when each of them raised within within_s of the "
                      "others, clears when none is raised any more."},
      {.key = "severity",
       .member = &RuleOptions::severity,
       .description = "How urgent the alarm is.",
       .choices = "info warning critical"},
      {.key = "armed_only",
       .member = &RuleOptions::armed_only,
       .description = "Count only while the gateway is armed (PUT /api/v1/armed); disarming "
                      "clears its alarm."},
      {.key = "publish",
       .member = &RuleOptions::publish,
       .description = "false: the rule only feeds all_of rules, and publishes no alarm of its "
                      "own."},
      {.key = "message",
       .member = &RuleOptions::message,
       .description = "Text sent with the alarm; default: what was crossed, e.g. "
                      "\"crane.load_kg 5210 above 5000\"."},
  };
  return table;
}

RuleShape rule_shape(const RuleOptions& rule) {
  std::vector<std::pair<RuleKind, std::string>> kinds;
  if (is_set(rule.above)) kinds.emplace_back(RuleKind::threshold, "above");
  if (is_set(rule.below)) kinds.emplace_back(RuleKind::threshold, "below");
  if (is_set(rule.drop)) kinds.emplace_back(RuleKind::change, "drop");
  if (is_set(rule.rise)) kinds.emplace_back(RuleKind::change, "rise");
  if (is_set(rule.stale_after_s)) kinds.emplace_back(RuleKind::stale, "stale_after_s");
  if (is_set(rule.offline_after_s)) kinds.emplace_back(RuleKind::offline, "offline_after_s");
  if (!rule.all_of.empty()) kinds.emplace_back(RuleKind::all_of, "all_of");
  if (kinds.size() != 1) {
    std::string found;
    for (const auto& [kind, key] : kinds) found += (found.empty() ? "" : ", ") + key;
    return {.kind = RuleKind::threshold,
            .error =
                "needs exactly one of above, below, drop, rise, stale_after_s, "
                "offline_after_s, all_of" +
                (found.empty() ? std::string() : " (has " + found + ")")};
  }
  const RuleKind kind = kinds.front().first;
  const bool needs_series =
      kind == RuleKind::threshold || kind == RuleKind::change || kind == RuleKind::stale;
  if (needs_series && rule.series.empty()) return {kind, "needs series"};
  if (kind == RuleKind::offline && rule.adapter.empty()) return {kind, "needs adapter"};
  if (kind == RuleKind::change && rule.within_s <= 0) return {kind, "needs within_s > 0"};
  if (is_set(rule.above) && is_set(rule.clear_below) && rule.clear_below > rule.above) {
    return {kind, "clear_below is above the threshold"};
  }
  if (is_set(rule.below) && is_set(rule.clear_above) && rule.clear_above < rule.below) {
    return {kind, "clear_above is below the threshold"};
  }
  if (!parse_severity(rule.severity)) return {kind, "severity is not info, warning or critical"};
  return {kind, ""};
}

std::vector<std::string> all_of_names(const RuleOptions& rule) {
  std::vector<std::string> names;
  std::string current;
  for (char c : rule.all_of + ",") {
    if (c == ',') {
      if (!current.empty()) names.push_back(current);
      current.clear();
    } else if (c != ' ') {
      current += c;
    }
  }
  return names;
}

std::vector<std::pair<std::size_t, std::string>> check_rules(
    const std::vector<RuleOptions>& rules) {
  std::vector<std::pair<std::size_t, std::string>> problems;
  std::set<std::string> names;
  for (std::size_t i = 0; i < rules.size(); ++i) {
    if (!names.insert(rules[i].name).second) {
      problems.emplace_back(i, "rules.name \"" + rules[i].name + "\" is used twice");
    }
  }
  for (std::size_t i = 0; i < rules.size(); ++i) {
    for (const auto& other : all_of_names(rules[i])) {
      if (other == rules[i].name) {
        problems.emplace_back(i, "rules.all_of names the rule itself");
      } else if (!names.contains(other)) {
        problems.emplace_back(i, "rules.all_of names \"" + other + "\", which is no rule");
      }
    }
  }
  return problems;
}

}  // namespace edgegw::rules
