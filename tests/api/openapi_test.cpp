// openapi.yaml must describe every route the router serves; a route added without its
// description fails here.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <utility>

#include "gateway/api/api_routes.h"
#include "tests/fakes/fake_api_backend.h"

namespace edgegw::api {
namespace {

std::string read_spec() {
  std::ifstream in(std::string(EDGEGW_SOURCE_DIR) + "/openapi.yaml");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

/// (method, path) of every operation under `paths:`, from the YAML's indentation: paths at two
/// spaces, methods at four. Enough for the file we write; not a YAML parser.
std::set<std::pair<std::string, std::string>> spec_operations(const std::string& spec) {
  static const std::set<std::string> kMethods = {"get", "put", "post", "delete", "patch", "head"};
  std::set<std::pair<std::string, std::string>> operations;
  std::istringstream lines(spec);
  std::string line;
  bool in_paths = false;
  std::string path;
  while (std::getline(lines, line)) {
    if (line.empty() || line.starts_with("#")) continue;
    if (!line.starts_with(" ")) {
      in_paths = line == "paths:";
      path.clear();
      continue;
    }
    if (!in_paths || !line.ends_with(":")) continue;
    const auto indent = line.find_first_not_of(' ');
    const auto key = line.substr(indent, line.size() - indent - 1);
    if (indent == 2) {
      path = key;
    } else if (indent == 4 && !path.empty() && kMethods.contains(key)) {
      std::string method = key;
      std::transform(method.begin(), method.end(), method.begin(),
                     [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
      operations.emplace(method, path);
    }
  }
  return operations;
}

TEST(OpenApiTest, EveryRouteIsDescribed) {
  const auto spec = read_spec();
  ASSERT_FALSE(spec.empty()) << "openapi.yaml not found in the source tree";
  EXPECT_TRUE(spec.starts_with("openapi: 3.0"));
  const auto operations = spec_operations(spec);
  FakeApiBackend backend;
  const auto routes = make_api_router(backend).routes();
  ASSERT_FALSE(routes.empty());
  for (const auto& route : routes) {
    EXPECT_TRUE(operations.contains({route.method, route.path}))
        << route.method << " " << route.path << " is missing from openapi.yaml";
  }
}

TEST(OpenApiTest, DescribesNoRouteTheRouterLacks) {
  FakeApiBackend backend;
  const auto routes = make_api_router(backend).routes();
  for (const auto& [method, path] : spec_operations(read_spec())) {
    const bool served = std::any_of(routes.begin(), routes.end(), [&](const RouteInfo& route) {
      return route.method == method && route.path == path;
    });
    EXPECT_TRUE(served) << method << " " << path << " is in openapi.yaml but not served";
  }
}

}  // namespace
}  // namespace edgegw::api
