#include "gateway/uplink/secret_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "tests/temp_dir.h"

namespace edgegw {
namespace {

std::string write_file(const TempDir& dir, const std::string& name, const std::string& text,
                       mode_t mode) {
  auto path = dir.file(name);
  std::ofstream(path) << text;
  ::chmod(path.c_str(), mode);
  return path;
}

std::string error_of(auto&& action) {
  try {
    action();
  } catch (const SecretFileError& error) {
    return error.what();
  }
  return "";
}

TEST(SecretFile, OwnerOnlyFileIsReadWithoutTheTrailingNewline) {
  TempDir dir;
  auto path = write_file(dir, "password", "s3cret\n", 0600);
  EXPECT_EQ(read_secret_file(path, "uplink.password_file"), "s3cret");
  auto read_only = write_file(dir, "key", "k", 0400);
  EXPECT_NO_THROW(check_secret_file(read_only, "uplink.tls.key_file"));
}

TEST(SecretFile, GroupOrOtherPermissionIsRefusedNamingTheFileAndMode) {
  TempDir dir;
  auto path = write_file(dir, "device.key", "k", 0644);
  auto error = error_of([&] { check_secret_file(path, "uplink.tls.key_file"); });
  EXPECT_NE(error.find("uplink.tls.key_file"), std::string::npos) << error;
  EXPECT_NE(error.find(path), std::string::npos) << error;
  EXPECT_NE(error.find("0644"), std::string::npos) << error;
  for (mode_t mode : {0640, 0604, 0610, 0601, 0660}) {
    ::chmod(path.c_str(), mode);
    EXPECT_THROW(check_secret_file(path, "key"), SecretFileError) << std::oct << mode;
  }
}

TEST(SecretFile, MissingFileIsRefusedClearly) {
  TempDir dir;
  auto error = error_of([&] { check_secret_file(dir.file("absent.key"), "uplink.tls.key_file"); });
  EXPECT_NE(error.find("absent.key"), std::string::npos) << error;
  EXPECT_NE(error.find("No such file"), std::string::npos) << error;
  EXPECT_THROW(check_readable_file(dir.file("absent.pem"), "uplink.tls.cert_file"),
               SecretFileError);
}

TEST(SecretFile, DirectoryAndEmptyPathAreRefused) {
  TempDir dir;
  EXPECT_THROW(check_secret_file(dir.path().string(), "key"), SecretFileError);
  EXPECT_THROW(check_secret_file("", "key"), SecretFileError);
}

TEST(SecretFile, CertificatesMayBeWorldReadable) {
  TempDir dir;
  auto path = write_file(dir, "device.pem", "cert", 0644);
  EXPECT_NO_THROW(check_readable_file(path, "uplink.tls.cert_file"));
}

}  // namespace
}  // namespace edgegw
