// Bundle decoding: what `edgegw decode` and a cloud-side consumer run on bytes from the network.
// Any input either decodes or is refused with BundleDecodeError, as decode_bundle promises; it
// never crashes, reads out of bounds, trips UBSan or throws anything else (an exception that
// escapes is a finding too).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "proto/bundle_decoder.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const edgegw::DecodedBundle bundle =
        edgegw::decode_bundle(std::string_view(reinterpret_cast<const char*>(data), size));
    // Touch what was decoded, so the decoder's output is read as a consumer would.
    volatile std::size_t readings = bundle.readings.size();
    (void)readings;
  } catch (const edgegw::BundleDecodeError&) {
    // Refused with a clear error: what bad input must get.
  }
  return 0;
}
