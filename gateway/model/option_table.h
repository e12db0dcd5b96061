#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace edgegw {

/// A value read from the config file for one key, already converted to its declared type.
using OptionValue = std::variant<bool, std::int64_t, double, std::string>;

/// One key of a config section: its name, the struct member it fills, and what it means.
/// A section (or an adapter) declares a table of these; the config loader fills the struct
/// from it and rejects unknown keys, and `edgegw config-reference` prints the same table,
/// so the documentation cannot drift from the parser. Defaults are the struct's own member
/// initialisers.
template <class T>
struct Option {
  using Member = std::variant<bool T::*, std::int64_t T::*, double T::*, std::string T::*>;

  std::string_view key;
  Member member;
  std::string_view description;
  double min = -std::numeric_limits<double>::infinity();  ///< numbers only
  double max = std::numeric_limits<double>::infinity();   ///< numbers only
  /// Strings only: the allowed values separated by spaces, e.g. "aws azure generic"; empty = any.
  std::string_view choices = "";
  bool required = false;  ///< no default can exist
};

template <class T>
using OptionTable = std::vector<Option<T>>;

/// The printable form of one option, independent of the struct it belongs to.
struct OptionDoc {
  std::string key;
  std::string type;  ///< "bool", "integer", "number", "string"
  std::string default_value;
  std::string description;
  std::string constraint;  ///< "1 to 65535", "one of: aws, azure", or empty
  bool required = false;
};

/// A number as people read it in messages: shortest form, no trailing zeros ("4800", "0.5").
inline std::string format_number(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

namespace option_detail {

template <class T>
std::string constraint_text(const Option<T>& option) {
  if (!option.choices.empty()) return "one of: " + std::string(option.choices);
  bool has_min = std::isfinite(option.min);
  bool has_max = std::isfinite(option.max);
  if (has_min && has_max) return format_number(option.min) + " to " + format_number(option.max);
  if (has_min) return ">= " + format_number(option.min);
  if (has_max) return "<= " + format_number(option.max);
  return {};
}

}  // namespace option_detail

/// Sets `option` in `target` from `value`. Returns an error message (without the key name),
/// or nothing on success. Integers are accepted where a number is expected.
template <class T>
std::optional<std::string> set_option(T& target, const Option<T>& option,
                                      const OptionValue& value) {
  auto check_range = [&](double v) -> std::optional<std::string> {
    if (!std::isfinite(v)) return "must be a finite number";
    if (v < option.min || v > option.max) {
      return "is " + format_number(v) + ", must be " + option_detail::constraint_text(option);
    }
    return std::nullopt;
  };
  return std::visit(
      [&](auto member) -> std::optional<std::string> {
        using Field = std::remove_reference_t<decltype(target.*member)>;
        if constexpr (std::is_same_v<Field, bool>) {
          if (auto* v = std::get_if<bool>(&value)) {
            target.*member = *v;
            return std::nullopt;
          }
          return "must be true or false";
        } else if constexpr (std::is_same_v<Field, std::int64_t>) {
          if (auto* v = std::get_if<std::int64_t>(&value)) {
            if (auto error = check_range(static_cast<double>(*v))) return error;
            target.*member = *v;
            return std::nullopt;
          }
          return "must be an integer";
        } else if constexpr (std::is_same_v<Field, double>) {
          double v = 0;
          if (auto* i = std::get_if<std::int64_t>(&value)) {
            v = static_cast<double>(*i);
          } else if (auto* d = std::get_if<double>(&value)) {
            v = *d;
          } else {
            return "must be a number";
          }
          if (auto error = check_range(v)) return error;
          target.*member = v;
          return std::nullopt;
        } else {
          auto* v = std::get_if<std::string>(&value);
          if (!v) return "must be a string";
          if (!option.choices.empty()) {
            std::istringstream words{std::string(option.choices)};
            bool known = false;
            for (std::string choice; words >> choice;) known = known || choice == *v;
            if (!known)
              return "is \"" + *v + "\", must be " + option_detail::constraint_text(option);
          }
          target.*member = *v;
          return std::nullopt;
        }
      },
      option.member);
}

/// Fills a T from key/value pairs: defaults first, then each given key. Returns one error per
/// bad key as {key, message}; unknown keys and missing required keys are errors too.
template <class T>
std::vector<std::pair<std::string, std::string>> fill_options(
    T& target, const OptionTable<T>& table, const std::map<std::string, OptionValue>& values) {
  std::vector<std::pair<std::string, std::string>> errors;
  for (const auto& [key, value] : values) {
    const Option<T>* found = nullptr;
    for (const auto& option : table) {
      if (option.key == key) found = &option;
    }
    if (!found) {
      errors.emplace_back(key, "unknown key");
      continue;
    }
    if (auto error = set_option(target, *found, value)) errors.emplace_back(key, *error);
  }
  for (const auto& option : table) {
    if (option.required && !values.contains(std::string(option.key))) {
      errors.emplace_back(std::string(option.key), "is required");
    }
  }
  return errors;
}

/// The table in printable form, defaults taken from a default-constructed T.
template <class T>
std::vector<OptionDoc> describe_options(const OptionTable<T>& table) {
  static const T defaults{};
  std::vector<OptionDoc> docs;
  for (const auto& option : table) {
    OptionDoc doc;
    doc.key = option.key;
    doc.description = option.description;
    doc.constraint = option_detail::constraint_text(option);
    doc.required = option.required;
    std::visit(
        [&](auto member) {
          using Field = std::remove_cvref_t<decltype(defaults.*member)>;
          const auto& v = defaults.*member;
          if constexpr (std::is_same_v<Field, bool>) {
            doc.type = "bool";
            doc.default_value = v ? "true" : "false";
          } else if constexpr (std::is_same_v<Field, std::int64_t>) {
            doc.type = "integer";
            doc.default_value = std::to_string(v);
          } else if constexpr (std::is_same_v<Field, double>) {
            doc.type = "number";
            // NaN is how a struct says "not set": the key is optional and has no value.
            doc.default_value = std::isnan(v) ? "(none)" : format_number(v);
          } else {
            doc.type = "string";
            doc.default_value = "\"" + v + "\"";
          }
        },
        option.member);
    if (option.required) doc.default_value = "(required)";
    docs.push_back(std::move(doc));
  }
  return docs;
}

}  // namespace edgegw
