#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace edgegw {

/// Why `name` cannot prefix series names ("<adapter>.<channel>"), or nothing if it can:
/// letters, digits, '_', '-' and '.' only, and not empty. For adapter and register names alike.
inline std::optional<std::string> series_name_problem(std::string_view name) {
  bool allowed = !name.empty();
  for (char c : name) {
    allowed = allowed && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                          (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.');
  }
  if (allowed) return std::nullopt;
  return "is \"" + std::string(name) + "\", may only contain letters, digits, '_', '-' and '.'";
}

}  // namespace edgegw
