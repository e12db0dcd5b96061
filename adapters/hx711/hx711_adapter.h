#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "adapters/adapter.h"
#include "adapters/gpio/gpio_line.h"
#include "adapters/hx711/hx711_driver.h"
#include "adapters/hx711/hx711_options.h"
#include "gateway/model/clock.h"

namespace edgegw {

/// Offset and scale: grams = (raw - offset) / scale.
struct Hx711Calibration {
  double offset = 0.0;
  double scale = 1.0;
};

/// A weighing: the median of N conversions, in counts and in grams; or why there is none.
struct ScaleSample {
  bool ok = false;
  bool stopped = false;  ///< stop() was called before all frames were read
  double raw = 0.0;
  double grams = 0.0;
  hx711::FrameResult::Error error = hx711::FrameResult::Error::none;
  std::string message;
};

/// The load cell's arithmetic over a driver: median of N frames, then the calibration. The
/// calibration may be changed from any thread while another samples.
class Hx711Scale {
 public:
  Hx711Scale(std::int64_t samples, std::chrono::milliseconds timeout, Hx711Calibration calibration);

  /// Reads `samples` frames; the first failed frame fails the weighing. `stopping` is asked
  /// between frames so a stop need not wait for all of them.
  ScaleSample sample(hx711::Hx711Driver& driver, const std::function<bool()>& stopping = {});

  void set_calibration(Hx711Calibration calibration);
  Hx711Calibration calibration() const;

 private:
  std::int64_t samples_;
  std::chrono::milliseconds timeout_;
  mutable std::mutex mutex_;
  Hx711Calibration calibration_;
};

/// What the adapter needs of the board: lines to request and time to bit-bang with.
struct Hx711Hardware {
  std::unique_ptr<gpio::LineOpener> lines;
  std::unique_ptr<hx711::PulseClock> pulse_clock;
};

/// An HX711 load-cell ADC on two GPIO lines, bit-banged on its own thread at rate_hz. Emits
/// "<name>.weight_g" (and "<name>.raw_counts"). Lines that cannot be requested are requested
/// again with capped backoff; every failed weighing is counted in health(). The part is
/// powered down on stop().
class Hx711Adapter final : public Adapter {
 public:
  /// `options` must have passed parse_hx711_options. No line is requested before start().
  Hx711Adapter(Hx711Options options, Clock& clock, Hx711Hardware hardware);
  ~Hx711Adapter() override;

  const std::string& name() const override { return options_.name; }
  std::vector<SeriesSpec> series() const override;
  void start(ReadingSink& sink, std::vector<SeriesId> ids) override;
  void stop() override;
  AdapterHealth health() const override;

  /// Tare and calibration from outside (REST, the cloud): takes effect from the next reading.
  void set_calibration(double offset, double scale);
  Hx711Calibration calibration() const { return scale_.calibration(); }

  std::uint64_t weighings() const { return weighings_.load(std::memory_order_relaxed); }
  std::uint64_t refused_offers() const { return refused_offers_.load(std::memory_order_relaxed); }

 private:
  void run(ReadingSink& sink, std::vector<SeriesId> ids);
  bool open_lines();
  void record_error(std::string message);
  bool pause_until(std::chrono::steady_clock::time_point until);
  bool stopping() const;

  Hx711Options options_;
  Clock& clock_;
  Hx711Hardware hardware_;
  Hx711Scale scale_;
  std::unique_ptr<gpio::OutputLine> pd_sck_;
  std::unique_ptr<gpio::InputLine> dout_;
  std::optional<hx711::Hx711Driver> driver_;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  AdapterHealth health_;
  std::atomic<std::uint64_t> weighings_{0};
  std::atomic<std::uint64_t> refused_offers_{0};
};

}  // namespace edgegw
