#pragma once

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "gateway/model/option_table.h"

namespace edgegw::rules {

inline constexpr double kUnset = std::numeric_limits<double>::quiet_NaN();
inline bool is_set(double value) {
  return !std::isnan(value);
}

/// One `[[rules]]` table. Which kind of rule it is follows from the keys it has: exactly one of
/// above / below (threshold), drop / rise (change), stale_after_s, offline_after_s, all_of.
struct RuleOptions {
  std::string name;  ///< the alarm's kind
  std::string series;
  double above = kUnset;
  double below = kUnset;
  double clear_below = kUnset;  ///< for `above`; default: the threshold itself
  double clear_above = kUnset;  ///< for `below`; default: the threshold itself
  double for_s = 0;
  double drop = kUnset;
  double rise = kUnset;
  double within_s = 0;
  double stale_after_s = kUnset;
  std::string adapter;
  double offline_after_s = kUnset;
  std::string all_of;  ///< rule names, comma-separated (a TOML array in the file)
  std::string severity = "warning";
  bool armed_only = false;
  bool publish = true;
  std::string message;
};

enum class RuleKind { threshold, change, stale, offline, all_of };

const OptionTable<RuleOptions>& rule_option_table();

/// The kind the keys make it, or an error message naming them.
struct RuleShape {
  RuleKind kind = RuleKind::threshold;
  std::string error;  ///< empty when the keys make one rule
};
RuleShape rule_shape(const RuleOptions& rule);

/// The names in `all_of`.
std::vector<std::string> all_of_names(const RuleOptions& rule);

/// Problems of the rules taken together, as {rule index, message}: unknown or self-referring
/// all_of names, names used twice.
std::vector<std::pair<std::size_t, std::string>> check_rules(const std::vector<RuleOptions>& rules);

}  // namespace edgegw::rules
