#include "gateway/api/auth.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <boost/json.hpp>
#include <fstream>
#include <string>

#include "gateway/config/config.h"
#include "gateway/uplink/secret_file.h"
#include "tests/temp_dir.h"

namespace edgegw::api {
namespace {

HttpRequest with_authorization(std::optional<std::string> value) {
  HttpRequest request;
  request.method = "POST";
  request.target = "/api/v1/flush";
  if (value) request.headers.emplace_back("Authorization", *value);
  return request;
}

std::string code_of(const HttpResponse& response) {
  return std::string(boost::json::parse(response.body).at("error").at("code").as_string());
}

const ApiAuth kEnforced{.token = "s3cret-token", .require_auth_for_reads = false};

TEST(ConstantTimeEqualsTest, EqualStringsMatch) {
  EXPECT_TRUE(constant_time_equals("s3cret-token", "s3cret-token"));
  EXPECT_TRUE(constant_time_equals("", ""));
}

TEST(ConstantTimeEqualsTest, SameLengthDifferentBytesDoNotMatch) {
  EXPECT_FALSE(constant_time_equals("s3cret-tokeN", "s3cret-token"));
  EXPECT_FALSE(constant_time_equals("X3cret-token", "s3cret-token"));
}

TEST(ConstantTimeEqualsTest, DifferentLengthsDoNotMatch) {
  EXPECT_FALSE(constant_time_equals("s3cret", "s3cret-token")) << "a prefix is not the token";
  EXPECT_FALSE(constant_time_equals("s3cret-token-and-more", "s3cret-token"));
  EXPECT_FALSE(constant_time_equals("", "s3cret-token"));
  EXPECT_FALSE(constant_time_equals("x", ""));
  // Repeating the token must not fool the length-independent loop.
  EXPECT_FALSE(constant_time_equals("abab", "ab"));
}

TEST(CheckAccessTest, CorrectBearerTokenPasses) {
  EXPECT_FALSE(check_access(with_authorization("Bearer s3cret-token"), Access::mutate, kEnforced));
  EXPECT_FALSE(check_access(with_authorization("bearer s3cret-token"), Access::mutate, kEnforced))
      << "the scheme is case-insensitive";
}

TEST(CheckAccessTest, MissingHeaderIs401WithChallenge) {
  const auto refused = check_access(with_authorization(std::nullopt), Access::mutate, kEnforced);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 401);
  EXPECT_EQ(code_of(*refused), "unauthorized");
  ASSERT_TRUE(refused->header("WWW-Authenticate"));
  EXPECT_TRUE(refused->header("WWW-Authenticate")->starts_with("Bearer"));
}

TEST(CheckAccessTest, MalformedHeaderIs401) {
  for (const char* value : {"Basic dXNlcjpwYXNz", "Bearer", "Bearer   ", "s3cret-token"}) {
    const auto refused = check_access(with_authorization(value), Access::mutate, kEnforced);
    ASSERT_TRUE(refused) << value;
    EXPECT_EQ(refused->status, 401) << value;
    EXPECT_TRUE(refused->header("WWW-Authenticate")) << value;
  }
}

TEST(CheckAccessTest, WrongTokenIs403) {
  for (const char* value : {"Bearer wrong", "Bearer s3cret-tokeN", "Bearer s3cret-token2"}) {
    const auto refused = check_access(with_authorization(value), Access::mutate, kEnforced);
    ASSERT_TRUE(refused) << value;
    EXPECT_EQ(refused->status, 403) << value;
    EXPECT_EQ(code_of(*refused), "invalid_token");
  }
}

TEST(CheckAccessTest, ReadsPassWithoutTokenUnlessProtected) {
  EXPECT_FALSE(check_access(with_authorization(std::nullopt), Access::read, kEnforced));
  ApiAuth protect = kEnforced;
  protect.require_auth_for_reads = true;
  const auto refused = check_access(with_authorization(std::nullopt), Access::read, protect);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 401);
  EXPECT_FALSE(check_access(with_authorization("Bearer s3cret-token"), Access::read, protect));
}

TEST(CheckAccessTest, OpenRoutesNeverAsk) {
  const ApiAuth protect{.token = "t", .require_auth_for_reads = true};
  EXPECT_FALSE(check_access(with_authorization(std::nullopt), Access::open, protect));
}

TEST(CheckAccessTest, NoTokenConfiguredLetsMutationsThrough) {
  const ApiAuth off{};
  EXPECT_FALSE(check_access(with_authorization(std::nullopt), Access::mutate, off));
  EXPECT_FALSE(check_access(with_authorization("Bearer anything"), Access::mutate, off));
}

TEST(CheckAccessTest, ProtectedReadsWithoutTokenConfiguredAre403) {
  const ApiAuth misconfigured{.token = std::nullopt, .require_auth_for_reads = true};
  const auto refused =
      check_access(with_authorization("Bearer anything"), Access::read, misconfigured);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 403);
  EXPECT_EQ(code_of(*refused), "no_token_configured");
  EXPECT_NE(refused->body.find("api.token_file"), std::string::npos);
}

/// ApiOptions whose token_file holds `text` with file mode `mode`.
ApiOptions with_token_file(const TempDir& dir, const std::string& text, mode_t mode) {
  ApiOptions options;
  options.token_file = dir.file("token");
  std::ofstream(options.token_file) << text;
  EXPECT_EQ(::chmod(options.token_file.c_str(), mode), 0);
  return options;
}

TEST(LoadApiAuthTest, ReadsTheTokenFromAPrivateFile) {
  TempDir dir;
  auto options = with_token_file(dir, "s3cret-token\n", 0600);
  options.require_auth_for_reads = true;
  const auto auth = load_api_auth(options);
  EXPECT_EQ(auth.token, "s3cret-token") << "trailing white space is not part of the token";
  EXPECT_TRUE(auth.require_auth_for_reads);
}

TEST(LoadApiAuthTest, NoTokenFileMeansAuthenticationOff) {
  EXPECT_FALSE(load_api_auth(ApiOptions{}).token);
}

TEST(LoadApiAuthTest, RejectsAGroupReadableFile) {
  TempDir dir;
  auto options = with_token_file(dir, "s3cret-token", 0644);
  EXPECT_THROW(load_api_auth(options), SecretFileError);
}

TEST(LoadApiAuthTest, RejectsAnEmptyFile) {
  TempDir dir;
  auto options = with_token_file(dir, "\n", 0600);
  EXPECT_THROW(load_api_auth(options), SecretFileError);
}

}  // namespace
}  // namespace edgegw::api
