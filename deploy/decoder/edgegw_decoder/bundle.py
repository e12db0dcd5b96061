"""Turns an edgegw bundle (the MQTT payload) back into readings.

Written from the format's description in proto/edgegw/v1/bundle.proto alone, with the protobuf
runtime reading the message through the descriptor set the build makes (bundle.desc), so the
cloud side needs no generated code and shares none with the gateway's own C++ decoder.
"""

from __future__ import annotations

import math
import os
import struct
from dataclasses import dataclass, field
from typing import Optional

import zstandard
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import DecodeError

FORMAT_VERSION = 1
ENCODINGS = {0x10: "proto", 0x11: "proto+zstd"}
# The format's limit on an uncompressed Bundle; a frame claiming more is refused unread.
MAX_RAW_BUNDLE_BYTES = 16 * 1024 * 1024
MAX_DECIMAL_EXPONENT = 22
QUALITIES = {0: "good", 1: "uncertain", 2: "bad"}

_U64 = (1 << 64) - 1
DEFAULT_DESCRIPTOR_SET = os.path.join(os.path.dirname(__file__), "bundle.desc")


class BundleError(ValueError):
    """The payload is not a bundle this decoder can read; the message says why."""


@dataclass
class Reading:
    series: str
    unit: str
    ts_ms: int
    value: Optional[float]  # None: not a finite number (only a foreign payload carries those)
    quality: str = "good"

    def as_json(self) -> dict:
        out = {"series": self.series}
        if self.unit:
            out["unit"] = self.unit
        out["ts_ms"] = self.ts_ms
        out["value"] = self.value
        if self.quality != "good":
            out["quality"] = self.quality
        return out


@dataclass
class Bundle:
    gateway_id: str
    bundle_seq: int
    encoding: str
    readings: list[Reading] = field(default_factory=list)

    def as_json(self) -> dict:
        """The shape `edgegw decode` prints."""
        return {
            "gateway_id": self.gateway_id,
            "bundle_seq": self.bundle_seq,
            "encoding": self.encoding,
            "readings": [r.as_json() for r in self.readings],
        }


def _signed64(value: int) -> int:
    value &= _U64
    return value - (1 << 64) if value >> 63 else value


def load_bundle_class(descriptor_set_path: str = DEFAULT_DESCRIPTOR_SET):
    """The edgegw.v1.Bundle message class, built from a FileDescriptorSet file."""
    files = descriptor_pb2.FileDescriptorSet()
    with open(descriptor_set_path, "rb") as source:
        files.ParseFromString(source.read())
    pool = descriptor_pool.DescriptorPool()
    for proto in files.file:
        pool.Add(proto)
    descriptor = pool.FindMessageTypeByName("edgegw.v1.Bundle")
    if hasattr(message_factory, "GetMessageClass"):  # protobuf 4.21 and later
        return message_factory.GetMessageClass(descriptor)
    return message_factory.MessageFactory(pool).GetPrototype(descriptor)


class BundleDecoder:
    """Decodes payloads; one instance per process (building the message class takes a while)."""

    def __init__(self, descriptor_set_path: str = DEFAULT_DESCRIPTOR_SET):
        self._bundle_class = load_bundle_class(descriptor_set_path)

    def decode(self, payload: bytes) -> Bundle:
        if not payload:
            raise BundleError("empty payload: no bundle format header")
        header = payload[0]
        if header >> 4 != FORMAT_VERSION:
            raise BundleError(f"unknown bundle format header 0x{header:02x}")
        encoding = ENCODINGS.get(header)
        if encoding is None:
            raise BundleError(f"unknown bundle encoding in header 0x{header:02x}")
        body = payload[1:]
        if encoding == "proto+zstd":
            body = _inflate(body)
        if len(body) > MAX_RAW_BUNDLE_BYTES:
            raise BundleError(f"bundle of {len(body)} bytes is too large")
        message = self._bundle_class()
        try:
            message.ParseFromString(body)
        except DecodeError as error:
            raise BundleError(f"payload is not a valid edgegw.v1.Bundle: {error}") from None
        bundle = Bundle(message.gateway_id, message.bundle_seq, encoding)
        for index, series in enumerate(message.series):
            bundle.readings.extend(_series_readings(series, index))
        return bundle


def _inflate(frame: bytes) -> bytes:
    try:
        size = zstandard.frame_content_size(frame)
    except zstandard.ZstdError:
        raise BundleError("bundle says proto+zstd but the body is not a zstd frame") from None
    if size < 0:
        raise BundleError("zstd frame does not record its content size")
    if size > MAX_RAW_BUNDLE_BYTES:
        raise BundleError(f"zstd frame claims {size} bytes, more than a bundle may hold")
    try:
        body = zstandard.ZstdDecompressor().decompress(frame)
    except zstandard.ZstdError as error:
        raise BundleError(f"zstd frame is corrupt or truncated: {error}") from None
    if len(body) != size:
        raise BundleError("zstd frame is shorter than it claims")
    return body


def _series_readings(series, index: int) -> list[Reading]:
    def fail(what: str):
        raise BundleError(f'series {index} ("{series.name}"): {what}')

    count = len(series.timestamps)
    xor_form = len(series.value_xor) > 0
    if xor_form:
        if series.value_deltas or series.step != 0 or series.decimal_exponent != 0:
            fail("mixes XOR values with scaled values")
        if len(series.value_xor) != count:
            fail(f"{count} timestamps but {len(series.value_xor)} values")
    else:
        if len(series.value_deltas) != count:
            fail(f"{count} timestamps but {len(series.value_deltas)} values")
        if abs(series.decimal_exponent) > MAX_DECIMAL_EXPONENT:
            fail(f"decimal exponent {series.decimal_exponent} out of range")
        if series.step != 0 and series.decimal_exponent != 0:
            fail("has both a step and a decimal exponent")
        if not math.isfinite(series.step):
            fail("step is not a finite number")

    # 10**e is exact as a double for e <= 22, so each value is one correctly rounded operation.
    power = float(10 ** abs(series.decimal_exponent))
    readings = []
    ts = delta = q = bits = 0
    for i in range(count):
        wire_ts = series.timestamps[i]
        if i == 0:
            ts = wire_ts
        else:
            delta = wire_ts if i == 1 else (delta + wire_ts) & _U64
            ts = (ts + delta) & _U64
        if xor_form:
            bits ^= series.value_xor[i]
            value = struct.unpack("<d", struct.pack("<Q", bits))[0]
        else:
            q = (q + series.value_deltas[i]) & _U64
            scaled = float(_signed64(q))
            if series.step != 0:
                value = scaled * series.step
            elif series.decimal_exponent >= 0:
                value = scaled / power
            else:
                value = scaled * power
        readings.append(
            Reading(series.name, series.unit, _signed64(ts), value if math.isfinite(value) else None)
        )

    next_index = 0
    for mark in series.quality_marks:
        quality, gap = mark & 3, mark >> 2
        if quality not in QUALITIES:
            fail(f"unknown quality {quality}")
        if gap >= count - next_index:
            fail("quality mark points past the last reading")
        next_index += gap
        readings[next_index].quality = QUALITIES[quality]
        next_index += 1
    return readings
