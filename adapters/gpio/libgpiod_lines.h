#pragma once

#include "adapters/gpio/gpio_line.h"

namespace edgegw::gpio {

/// Lines from the kernel's GPIO character device through libgpiod 1.6 (C++ API v1, Debian
/// bookworm). The consumer name shows in `gpioinfo` as the holder of each line.
class LibgpiodLineOpener final : public LineOpener {
 public:
  explicit LibgpiodLineOpener(std::string consumer = "edgegw") : consumer_(std::move(consumer)) {}
  Opened<InputLine> open_input(const LineAddress& address, Bias bias, bool edges) override;
  Opened<OutputLine> open_output(const LineAddress& address, bool initial) override;

 private:
  std::string consumer_;
};

}  // namespace edgegw::gpio
