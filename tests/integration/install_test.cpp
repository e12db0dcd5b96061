// `make install`'s script into a DESTDIR: the release layout update-software works on, the
// systemd unit (checked by systemd-analyze, as systemd itself would load it), and a config
// that a second install leaves alone.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "tests/missing_package.h"
#include "tests/read_file.h"
#include "tests/run_command.h"
#include "tests/temp_dir.h"

namespace edgegw {
namespace {

namespace fs = std::filesystem;

CommandResult install_into(const TempDir& dest) {
  const fs::path build = fs::path(EDGEGW_BINARY).parent_path().parent_path();
  return run_command("cd '" EDGEGW_SOURCE_DIR "' && DESTDIR='" + dest.path().string() +
                     "' bash scripts/install.sh '" + build.string() + "' 2>&1");
}

TEST(Install, LaysOutAReleaseTheCurrentLinkTheUnitAndAConfigASecondRunKeeps) {
  TempDir dest;
  const auto first = install_into(dest);
  ASSERT_EQ(first.exit_code, 0) << first.output;
  const std::string version = run_command("'" EDGEGW_BINARY "' --version").output;
  const std::string number = std::regex_replace(version, std::regex(R"(edgegw (\S+)\s*)"), "$1");
  const fs::path root = dest.path() / "opt/edgegw";
  EXPECT_EQ(fs::read_symlink(root / "current"), fs::path("releases") / number);
  const auto installed = run_command("'" + (root / "current/bin/edgegw").string() + "' --version");
  EXPECT_EQ(installed.output, version);
  // The debug sections stay in the build: a Pi's SD card holds the program only.
  EXPECT_LT(fs::file_size(root / "current/bin/edgegw"), fs::file_size(EDGEGW_BINARY));
  const fs::path config = dest.path() / "etc/edgegw/edgegw.toml";
  const auto check = run_command("'" EDGEGW_BINARY "' check-config '" + config.string() + "'");
  EXPECT_EQ(check.exit_code, 0) << check.output;
  EXPECT_TRUE(fs::exists(dest.path() / "etc/edgegw/examples/crane.toml"));

  std::ofstream(config, std::ios::app) << "# the operator's\n";
  const auto second = install_into(dest);
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_NE(second.output.find("installed already"), std::string::npos) << second.output;
  EXPECT_NE(read_file(config).find("# the operator's"), std::string::npos);
}

TEST(Install, TheUnitIsANotifyServiceWithAWatchdogHardenedAndSystemdAcceptsIt) {
  const std::string unit = read_file(EDGEGW_SOURCE_DIR "/deploy/systemd/edgegw.service");
  std::set<std::string> lines;
  std::istringstream text(unit);
  for (std::string line; std::getline(text, line);) lines.insert(line);
  for (const char* line :
       {"Type=notify", "NotifyAccess=main", "WatchdogSec=30", "Restart=always",
        "StateDirectory=edgegw", "ProtectSystem=strict", "ReadWritePaths=/opt/edgegw",
        "NoNewPrivileges=yes", "PrivateTmp=yes", "CapabilityBoundingSet=", "AmbientCapabilities=",
        "SupplementaryGroups=gpio dialout", "DevicePolicy=closed", "DeviceAllow=char-gpiochip rw",
        "DeviceAllow=char-ttyS rw", "ExecReload=/bin/kill -HUP $MAINPID",
        "ExecStart=/opt/edgegw/current/bin/edgegw run --config /etc/edgegw/edgegw.toml"}) {
    EXPECT_TRUE(lines.contains(line)) << line;
  }
  if (run_command("command -v systemd-analyze").exit_code != 0) {
    return missing_package("systemd", "systemd-analyze is not on PATH");
  }
  // systemd-analyze checks that ExecStart exists: the unit as installed into a DESTDIR.
  TempDir dest;
  ASSERT_EQ(install_into(dest).exit_code, 0);
  const fs::path binary = dest.path() / "opt/edgegw/current/bin/edgegw";
  const std::string local =
      std::regex_replace(unit, std::regex("/opt/edgegw/current/bin/edgegw"), binary.string());
  std::ofstream(dest.file("edgegw.service")) << local;
  const auto verify =
      run_command("systemd-analyze verify '" + dest.file("edgegw.service") + "' 2>&1");
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
  // It warns of every unknown key and bad value rather than failing: none may show.
  EXPECT_EQ(verify.output, "") << verify.output;
}

}  // namespace
}  // namespace edgegw
