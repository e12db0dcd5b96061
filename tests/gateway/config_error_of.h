#pragma once

#include <string>

#include "gateway/config/config.h"

namespace edgegw::testing {

/// What loading `text` as test.toml reports, every problem on its own line; "" if it loads.
inline std::string error_of(const std::string& text) {
  try {
    load_config_text(text, "test.toml");
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "";
}

}  // namespace edgegw::testing
