// The real libgpiod layer against a gpio-sim chip. It runs only where the kernel has one: gpio-sim
// lines can be driven from sysfs, so the test can make edges happen without wiring. Elsewhere
// it reports itself skipped and says why; no package can provide a kernel's GPIO support, so
// this is a plain skip, never a pass and never tests/missing_package.h.

#include "adapters/gpio/libgpiod_lines.h"

#include <gtest/gtest.h>
#include <poll.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

namespace edgegw::gpio {
namespace {

namespace fs = std::filesystem;

struct SimChip {
  std::string name;  ///< "gpiochipN", as libgpiod looks it up
  fs::path sysfs;    ///< the chip's sysfs folder holding sim_gpio<offset>/{pull,value}
};

std::optional<SimChip> find_sim_chip() {
  std::error_code ignored;
  for (const auto& entry : fs::directory_iterator("/sys/bus/gpio/devices", ignored)) {
    const auto name = entry.path().filename().string();
    if (name.rfind("gpiochip", 0) != 0) continue;
    const fs::path folder = fs::canonical(entry.path(), ignored);
    if (fs::exists(folder / "sim_gpio0" / "pull", ignored) &&
        fs::exists(folder / "sim_gpio1" / "value", ignored)) {
      return SimChip{name, folder};
    }
  }
  return std::nullopt;
}

bool any_gpio_chip() {
  std::error_code ignored;
  for (const auto& entry : fs::directory_iterator("/dev", ignored)) {
    if (entry.path().filename().string().rfind("gpiochip", 0) == 0) return true;
  }
  return false;
}

std::string read_word(const fs::path& path) {
  std::ifstream in(path);
  std::string word;
  in >> word;
  return word;
}

class LibgpiodLines : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!any_gpio_chip()) GTEST_SKIP() << "no GPIO chip in this kernel (no /dev/gpiochip*)";
    auto found = find_sim_chip();
    if (!found) {
      GTEST_SKIP() << "a GPIO chip exists but none is a gpio-sim chip with two lines; real "
                      "hardware is not driven by a unit test";
    }
    chip_ = *found;
    if (!std::ofstream(chip_.sysfs / "sim_gpio0" / "pull")) {
      GTEST_SKIP() << "cannot write " << (chip_.sysfs / "sim_gpio0" / "pull")
                   << " (gpio-sim is driven as root)";
    }
  }

  void pull(const char* how) { std::ofstream(chip_.sysfs / "sim_gpio0" / "pull") << how; }

  SimChip chip_;
  LibgpiodLineOpener opener_{"edgegw-test"};
};

TEST_F(LibgpiodLines, AnOutputDrivesTheSimulatedPin) {
  auto opened = opener_.open_output({chip_.name, 1}, false);
  ASSERT_TRUE(opened.line) << opened.error;
  EXPECT_EQ(read_word(chip_.sysfs / "sim_gpio1" / "value"), "0");
  ASSERT_TRUE(opened.line->set(true)) << opened.line->error();
  EXPECT_EQ(read_word(chip_.sysfs / "sim_gpio1" / "value"), "1");
}

TEST_F(LibgpiodLines, BothEdgesArriveOnTheEventFdWithMonotonicTimestamps) {
  pull("pull-down");
  auto opened = opener_.open_input({chip_.name, 0}, Bias::as_is, true);
  ASSERT_TRUE(opened.line) << opened.error;
  InputLine& line = *opened.line;
  ASSERT_GE(line.event_fd(), 0);
  EXPECT_EQ(line.level(), 0);

  for (int level : {1, 0}) {
    const auto before = std::chrono::steady_clock::now();
    pull(level == 1 ? "pull-up" : "pull-down");
    pollfd waiting{.fd = line.event_fd(), .events = POLLIN, .revents = 0};
    ASSERT_EQ(::poll(&waiting, 1, 2000), 1) << "no edge within 2 s";
    const auto after = std::chrono::steady_clock::now();
    const auto events = line.read_events();
    ASSERT_FALSE(events.empty()) << line.error();
    EXPECT_EQ(events.back().level, level);
    EXPECT_GE(events.back().when, before);
    EXPECT_LE(events.back().when, after);
    EXPECT_EQ(line.level(), level);
  }
}

TEST_F(LibgpiodLines, AMissingLineIsAnErrorNotAnException) {
  auto opened = opener_.open_input({chip_.name, 100000}, Bias::as_is, false);
  EXPECT_FALSE(opened.line);
  EXPECT_NE(opened.error.find("line 100000"), std::string::npos) << opened.error;
}

}  // namespace
}  // namespace edgegw::gpio
