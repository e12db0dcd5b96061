"""Bundles for the decoder's tests, written with the protobuf runtime from the format's own
description (proto/edgegw/v1/bundle.proto): the tests of real gateway bundles are in
tests/integration/cloud_decoder_test.cpp."""

import os
import struct

import zstandard

from edgegw_decoder.bundle import BundleDecoder, load_bundle_class

DESCRIPTOR_SET = os.environ["EDGEGW_BUNDLE_DESCRIPTOR_SET"]
Bundle = load_bundle_class(DESCRIPTOR_SET)


def decoder():
    return BundleDecoder(DESCRIPTOR_SET)


def timestamps(ts):
    """The timestamp column: first absolute, then a delta, then delta-of-deltas."""
    out, previous_delta = [], 0
    for i, t in enumerate(ts):
        if i == 0:
            out.append(t)
        else:
            delta = t - ts[i - 1]
            out.append(delta if i == 1 else delta - previous_delta)
            previous_delta = delta
    return out


def deltas(values):
    return [v - (values[i - 1] if i else 0) for i, v in enumerate(values)]


def xor_bits(values):
    bits = [struct.unpack("<Q", struct.pack("<d", v))[0] for v in values]
    return [b ^ (bits[i - 1] if i else 0) for i, b in enumerate(bits)]


def payload(message, zstd=False):
    body = message.SerializeToString()
    if zstd:
        return b"\x11" + zstandard.ZstdCompressor(write_content_size=True).compress(body)
    return b"\x10" + body


def sample_bundle(gateway_id="gw-1", bundle_seq=7):
    """Three series, one of each value form, and quality marks."""
    message = Bundle(gateway_id=gateway_id, bundle_seq=bundle_seq)
    wind = message.series.add(name="crane.wind_speed_ms", unit="m/s", decimal_exponent=1)
    wind.timestamps.extend(timestamps([1000, 1100, 1200, 1350]))
    wind.value_deltas.extend(deltas([123, 130, 128, 0]))  # 12.3, 13.0, 12.8, 0.0
    load = message.series.add(name="crane.load_kg", unit="kg", step=0.5)
    load.timestamps.extend(timestamps([1000, 2000]))
    load.value_deltas.extend(deltas([2501, -3]))  # 1250.5, -1.5
    ratio = message.series.add(name="lab.ratio")
    ratio.timestamps.extend(timestamps([5, 5, 4]))
    ratio.value_xor.extend(xor_bits([1 / 3, -2.5e-300, 7.0]))
    ratio.quality_marks.extend([(1 << 2) | 2, (0 << 2) | 1])  # reading 1 bad, reading 2 uncertain
    return message
