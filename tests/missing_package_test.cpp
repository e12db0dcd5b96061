// missing_package() fails under CI=true and skips otherwise. What it reports is caught with
// GoogleTest's own interception (gtest-spi.h), so this test's outcome is not the helper's.
#include "tests/missing_package.h"

#include <gmock/gmock.h>
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

namespace edgegw {
namespace {

using ::testing::HasSubstr;
using ::testing::TestPartResult;

/// Sets CI (or unsets it, for nullopt) for one test and puts back what was there. setenv is
/// safe here: nothing else runs on another thread while these tests do.
// NOLINTBEGIN(concurrency-mt-unsafe)
class ScopedCi {
 public:
  explicit ScopedCi(std::optional<std::string> value) {
    if (const char* old = std::getenv("CI")) saved_ = old;
    if (value) {
      ::setenv("CI", value->c_str(), 1);
    } else {
      ::unsetenv("CI");
    }
  }
  ~ScopedCi() {
    if (saved_) {
      ::setenv("CI", saved_->c_str(), 1);
    } else {
      ::unsetenv("CI");
    }
  }
  ScopedCi(const ScopedCi&) = delete;
  ScopedCi& operator=(const ScopedCi&) = delete;

 private:
  std::optional<std::string> saved_;
};
// NOLINTEND(concurrency-mt-unsafe)

/// Everything missing_package() reports, intercepted before it reaches this test.
std::vector<TestPartResult> reported_by_missing_package() {
  testing::TestPartResultArray results;
  {
    testing::ScopedFakeTestPartResultReporter intercept(
        testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, &results);
    missing_package("prometheus", "promtool is not on PATH");
  }
  std::vector<TestPartResult> reported;
  reported.reserve(static_cast<std::size_t>(results.size()));
  for (int i = 0; i < results.size(); ++i) reported.push_back(results.GetTestPartResult(i));
  return reported;
}

TEST(MissingPackage, FailsNamingThePackageUnderCi) {
  ScopedCi ci("true");
  const auto reported = reported_by_missing_package();
  ASSERT_EQ(reported.size(), 1u);
  EXPECT_EQ(reported[0].type(), TestPartResult::kFatalFailure);
  EXPECT_THAT(reported[0].message(), HasSubstr("missing Debian package prometheus"));
  EXPECT_THAT(reported[0].message(), HasSubstr("promtool is not on PATH"));
}

TEST(MissingPackage, SkipsNamingThePackageWithoutCi) {
  ScopedCi ci(std::nullopt);
  const auto reported = reported_by_missing_package();
  ASSERT_EQ(reported.size(), 1u);
  EXPECT_EQ(reported[0].type(), TestPartResult::kSkip);
  EXPECT_THAT(reported[0].message(), HasSubstr("missing Debian package prometheus"));
}

TEST(MissingPackage, SkipsWhenCiIsSetToAnythingButTrue) {
  for (const char* value : {"false", ""}) {
    ScopedCi ci{std::string(value)};
    const auto reported = reported_by_missing_package();
    ASSERT_EQ(reported.size(), 1u) << "CI=" << value;
    EXPECT_EQ(reported[0].type(), TestPartResult::kSkip) << "CI=" << value;
  }
}

}  // namespace
}  // namespace edgegw
