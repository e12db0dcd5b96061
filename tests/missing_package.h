#pragma once
// What a GoogleTest test does when a Debian package it needs is not installed: it reports
// itself skipped on a developer's machine, and fails under CI. CI has run
// `scripts/install-deps.sh test`, so there a missing package is a broken install, and a skip
// would hide it: ctest counts a skipped test as passed. Shell tests follow the same rule
// through tests/missing_packages.sh.
//
// Only for what the install script provides; a test that needs what no script can give (an
// IPv6 loopback, a GPIO chip in the kernel) keeps a plain GTEST_SKIP().

#include <gtest/gtest.h>

#include <cstdlib>
#include <string_view>

namespace edgegw {

/// True when the environment says this is a CI run: CI=true, as .ci/run, GitHub Actions and
/// GitLab CI set it.
inline bool running_under_ci() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string_view(ci) == "true";
}

/// Reports that Debian package `package` is missing (`what`: the file or program not found):
/// a fatal failure under CI, a skip otherwise. Neither leaves the calling function, so call
/// it as `return missing_package(...);`. From a fixture's SetUp() both keep the test body
/// from running.
inline void missing_package(std::string_view package, std::string_view what) {
  if (running_under_ci()) {
    FAIL() << "missing Debian package " << package << " (" << what
           << "); CI=true, and scripts/install-deps.sh test is meant to have installed it";
  }
  GTEST_SKIP() << "missing Debian package " << package << " (" << what
               << "); scripts/install-deps.sh test installs it";
}

}  // namespace edgegw
