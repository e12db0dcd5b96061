#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>

#include "adapters/gpio/gpio_line.h"
#include "adapters/hx711/hx711_driver.h"
#include "adapters/hx711/hx711_options.h"
#include "adapters/source.h"
#include "adapters/weigher.h"
#include "gateway/model/clock.h"

namespace edgegw {

/// A weighing: the median of N conversions, in counts and in grams; or why there is none.
struct ScaleSample {
  bool ok = false;
  bool stopped = false;  ///< stop was asked before all frames were read
  double raw = 0.0;
  double grams = 0.0;
  hx711::FrameResult::Error error = hx711::FrameResult::Error::none;
  std::string message;
};

/// The load cell's arithmetic over a driver: median of N frames, then the calibration. The
/// calibration may be changed from any thread while another samples.
class Hx711Scale {
 public:
  Hx711Scale(std::int64_t samples, std::chrono::milliseconds timeout, ScaleCalibration calibration);

  /// Reads `samples` frames; the first failed frame fails the weighing. `stopping` is asked
  /// between frames so a stop need not wait for all of them.
  ScaleSample sample(hx711::Hx711Driver& driver, const std::function<bool()>& stopping = {});

  void set_calibration(ScaleCalibration calibration);
  ScaleCalibration calibration() const;

 private:
  std::int64_t samples_;
  std::chrono::milliseconds timeout_;
  mutable std::mutex mutex_;
  ScaleCalibration calibration_;
};

/// What the source needs of the board: lines to request and time to bit-bang with.
struct Hx711Hardware {
  std::unique_ptr<gpio::LineOpener> lines;
  std::unique_ptr<hx711::PulseClock> pulse_clock;
};

/// An HX711 load-cell ADC on two GPIO lines, bit-banged on the runner's thread at rate_hz.
/// Emits "<name>.weight_g" (and "<name>.raw_counts"). A weighing that fails is an error of
/// the read; a line the kernel takes back closes the source, so the runner requests the lines
/// again. The part is powered down on close.
class Hx711Source final : public Source, public Weigher {
 public:
  /// `options` must have passed parse_hx711_options. No line is requested before open().
  Hx711Source(Hx711Options options, Clock& clock, Hx711Hardware hardware);
  ~Hx711Source() override;

  const std::string& name() const override { return options_.name; }
  std::vector<SeriesSpec> series() const override;
  void bind(std::vector<SeriesId> ids) override { ids_ = std::move(ids); }
  ReconnectBackoff::Settings reopen_backoff() const override { return gpio::kLineReopenBackoff; }
  std::string open() override;
  void close() override;
  SourceRead read(std::vector<Reading>& out, const StopSignal& stop) override;
  ReadDue next_read(std::chrono::steady_clock::time_point started) const override;
  Weigher* weigher() override { return this; }

  CalibrationOutcome tare() override;
  CalibrationOutcome calibrate(double known_grams) override;
  void set_calibration(ScaleCalibration calibration) override;
  ScaleCalibration calibration() const override { return scale_.calibration(); }

  /// Weighings that gave a reading.
  std::uint64_t weighings() const;

 private:
  /// The counts of the latest weighing if it is recent enough to stand for the load now.
  std::optional<double> recent_raw(std::string& why_not) const;

  Hx711Options options_;
  Clock& clock_;
  Hx711Hardware hardware_;
  Hx711Scale scale_;
  std::vector<SeriesId> ids_;
  std::unique_ptr<gpio::OutputLine> pd_sck_;
  std::unique_ptr<gpio::InputLine> dout_;
  std::optional<hx711::Hx711Driver> driver_;

  mutable std::mutex latest_mutex_;
  std::uint64_t weighings_ = 0;
  double latest_raw_ = 0.0;
  std::chrono::steady_clock::time_point latest_at_{};
  std::string latest_error_;
};

}  // namespace edgegw
