#pragma once

namespace edgegw::testing {

/// An SQLite VFS that wraps the default one and, once armed, fails the n-th write, sync or
/// truncate and every one after it, as a dying or filling disk does. install() makes it the
/// default VFS of the test process; connections opened afterwards go through it.
class FaultyVfs {
 public:
  static void install();
  /// From the `nth` write-type operation on (1 = the next one), return `error`.
  static void arm(int nth, int error);
  /// Stops failing; returns whether any operation failed since arm().
  static bool disarm();
};

}  // namespace edgegw::testing
