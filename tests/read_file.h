#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace edgegw {

/// The whole file as text; empty when it cannot be read (the test's assertion then says so).
inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace edgegw
