#include "adapters/gpio/libgpiod_lines.h"

#include <gpiod.hpp>
#include <system_error>

namespace edgegw::gpio {
namespace {

// libgpiod's C++ binding reports every failure by throwing (std::system_error with errno, or
// std::logic_error for a misuse); these wrappers turn that into results at the boundary so no
// exception crosses the adapters' loops.

class LibgpiodInput final : public InputLine {
 public:
  LibgpiodInput(gpiod::chip chip, gpiod::line line, bool edges)
      : chip_(std::move(chip)), line_(std::move(line)), edges_(edges) {}
  ~LibgpiodInput() override { line_.release(); }

  std::optional<int> level() override {
    try {
      return line_.get_value() != 0 ? 1 : 0;
    } catch (const std::exception& e) {
      error_ = e.what();
      return std::nullopt;
    }
  }
  int event_fd() const override {
    if (!edges_) return -1;
    try {
      return line_.event_get_fd();
    } catch (const std::exception&) {
      return -1;
    }
  }
  std::vector<EdgeEvent> read_events() override {
    std::vector<EdgeEvent> events;
    try {
      for (const auto& event : line_.event_read_multiple()) {
        events.push_back({.level = event.event_type == gpiod::line_event::RISING_EDGE ? 1 : 0,
                          .when = std::chrono::steady_clock::time_point(
                              std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                  event.timestamp))});
      }
    } catch (const std::exception& e) {
      error_ = e.what();
    }
    return events;
  }
  std::string error() const override { return error_; }

 private:
  gpiod::chip chip_;  // the line borrows the chip's descriptor: keep it open
  gpiod::line line_;
  bool edges_;
  std::string error_;
};

class LibgpiodOutput final : public OutputLine {
 public:
  LibgpiodOutput(gpiod::chip chip, gpiod::line line)
      : chip_(std::move(chip)), line_(std::move(line)) {}
  ~LibgpiodOutput() override { line_.release(); }

  bool set(bool high) override {
    try {
      line_.set_value(high ? 1 : 0);
      return true;
    } catch (const std::exception& e) {
      error_ = e.what();
      return false;
    }
  }
  std::string error() const override { return error_; }

 private:
  gpiod::chip chip_;
  gpiod::line line_;
  std::string error_;
};

std::bitset<32> bias_flags(Bias bias) {
  switch (bias) {
    case Bias::pull_up:
      return gpiod::line_request::FLAG_BIAS_PULL_UP;
    case Bias::pull_down:
      return gpiod::line_request::FLAG_BIAS_PULL_DOWN;
    case Bias::disabled:
      return gpiod::line_request::FLAG_BIAS_DISABLE;
    case Bias::as_is:
      break;
  }
  return {};
}

std::string failure(const LineAddress& address, const std::exception& e) {
  return "cannot request " + describe(address) + ": " + e.what();
}

}  // namespace

Opened<InputLine> LibgpiodLineOpener::open_input(const LineAddress& address, Bias bias,
                                                 bool edges) {
  try {
    gpiod::chip chip(address.chip);
    gpiod::line line = chip.get_line(address.offset);
    line.request({.consumer = consumer_,
                  .request_type = edges ? gpiod::line_request::EVENT_BOTH_EDGES
                                        : gpiod::line_request::DIRECTION_INPUT,
                  .flags = bias_flags(bias)});
    return {std::make_unique<LibgpiodInput>(std::move(chip), std::move(line), edges), {}};
  } catch (const std::exception& e) {
    return {nullptr, failure(address, e)};
  }
}

Opened<OutputLine> LibgpiodLineOpener::open_output(const LineAddress& address, bool initial) {
  try {
    gpiod::chip chip(address.chip);
    gpiod::line line = chip.get_line(address.offset);
    line.request(
        {.consumer = consumer_, .request_type = gpiod::line_request::DIRECTION_OUTPUT, .flags = {}},
        initial ? 1 : 0);
    return {std::make_unique<LibgpiodOutput>(std::move(chip), std::move(line)), {}};
  } catch (const std::exception& e) {
    return {nullptr, failure(address, e)};
  }
}

}  // namespace edgegw::gpio
