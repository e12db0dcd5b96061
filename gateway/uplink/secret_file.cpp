#include "gateway/uplink/secret_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace edgegw {
namespace {

std::string octal_mode(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

struct stat stat_readable_file(const std::string& path, std::string_view what) {
  std::string name = std::string(what) + " \"" + path + "\"";
  if (path.empty()) throw SecretFileError(std::string(what) + " is not set");
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    throw SecretFileError(name + ": " + std::strerror(errno));
  }
  if (!S_ISREG(info.st_mode)) throw SecretFileError(name + " is not a regular file");
  // access() rather than the mode bits: it also accounts for ACLs and for running as root.
  if (::access(path.c_str(), R_OK) != 0) {
    throw SecretFileError(name + " is not readable by this process (mode " +
                          octal_mode(info.st_mode) + "): " + std::strerror(errno));
  }
  return info;
}

}  // namespace

void check_readable_file(const std::string& path, std::string_view what) {
  stat_readable_file(path, what);
}

void check_secret_file(const std::string& path, std::string_view what) {
  auto info = stat_readable_file(path, what);
  // Anyone else who can read a private key or password can impersonate the gateway; refuse
  // rather than warn, the way ssh refuses an exposed identity file.
  if ((info.st_mode & 077) != 0) {
    throw SecretFileError(std::string(what) + " \"" + path + "\" has mode " +
                          octal_mode(info.st_mode) +
                          ", which lets group or others read it; a secret must be 0600 or "
                          "stricter (chmod 600 \"" +
                          path + "\")");
  }
}

std::string read_secret_file(const std::string& path, std::string_view what) {
  check_secret_file(path, what);
  std::ifstream file(path, std::ios::binary);
  if (!file) throw SecretFileError(std::string(what) + " \"" + path + "\": cannot open");
  std::ostringstream contents;
  contents << file.rdbuf();
  std::string text = contents.str();
  // Editors and `echo` add a final newline that is not part of the secret.
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ' ||
                           text.back() == '\t')) {
    text.pop_back();
  }
  return text;
}

}  // namespace edgegw
