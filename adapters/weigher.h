#pragma once

#include <cmath>
#include <string>

namespace edgegw {

/// Offset and scale of a load cell: grams = (raw counts - offset) / scale, scale in counts per
/// gram.
struct ScaleCalibration {
  double offset = 0.0;
  double scale = 1.0;
  bool operator==(const ScaleCalibration&) const = default;
  /// Finite, with a scale that is not 0: one read back from storage may be neither.
  bool usable() const { return std::isfinite(offset) && std::isfinite(scale) && scale != 0.0; }
};

/// What a tare or a calibration came to.
struct CalibrationOutcome {
  bool ok = false;
  std::string error;             ///< why not (no recent weighing, a known weight of 0 g)
  ScaleCalibration calibration;  ///< the calibration in use afterwards
  double raw = 0.0;              ///< the counts it was computed from
};

/// A source that weighs, tared and calibrated from outside (the REST API, later the cloud).
/// Both work on the latest weighing, so the load must have settled for one reading period
/// before the request. Callable from any thread.
class Weigher {
 public:
  virtual ~Weigher() = default;
  /// Makes the load on the scale now read 0 g: offset = its counts.
  virtual CalibrationOutcome tare() = 0;
  /// Makes the load on the scale now read `known_grams`: scale = (counts - offset) / known_grams.
  virtual CalibrationOutcome calibrate(double known_grams) = 0;
  /// Puts a stored calibration in use (at start, from the buffer's settings).
  virtual void set_calibration(ScaleCalibration calibration) = 0;
  virtual ScaleCalibration calibration() const = 0;
};

}  // namespace edgegw
