import unittest

import zstandard

import bundles
from edgegw_decoder.bundle import BundleError


def values(bundle):
    return [(r.series, r.ts_ms, r.value, r.quality) for r in bundle.readings]


class DecodeTest(unittest.TestCase):
    def setUp(self):
        self.decoder = bundles.decoder()

    def test_every_value_form_and_quality_decodes_as_the_format_describes(self):
        for zstd in (False, True):
            with self.subTest(zstd=zstd):
                bundle = self.decoder.decode(bundles.payload(bundles.sample_bundle(), zstd))
                self.assertEqual((bundle.gateway_id, bundle.bundle_seq), ("gw-1", 7))
                self.assertEqual(bundle.encoding, "proto+zstd" if zstd else "proto")
                self.assertEqual(values(bundle), [
                    ("crane.wind_speed_ms", 1000, 12.3, "good"),
                    ("crane.wind_speed_ms", 1100, 13.0, "good"),
                    ("crane.wind_speed_ms", 1200, 12.8, "good"),
                    ("crane.wind_speed_ms", 1350, 0.0, "good"),
                    ("crane.load_kg", 1000, 1250.5, "good"),
                    ("crane.load_kg", 2000, -1.5, "good"),
                    ("lab.ratio", 5, 1 / 3, "good"),
                    ("lab.ratio", 5, -2.5e-300, "bad"),
                    ("lab.ratio", 4, 7.0, "uncertain"),
                ])
                self.assertEqual(bundle.readings[0].unit, "m/s")

    def test_negative_exponent_multiplies_and_timestamps_wrap_like_int64(self):
        message = bundles.Bundle(gateway_id="g", bundle_seq=1)
        series = message.series.add(name="big", decimal_exponent=-2)
        series.timestamps.extend([-(2**63), -1])  # the delta wraps past the int64 range
        series.value_deltas.extend([42, 1])
        bundle = self.decoder.decode(bundles.payload(message))
        self.assertEqual([(r.ts_ms, r.value) for r in bundle.readings],
                         [(-(2**63), 4200.0), (2**63 - 1, 4300.0)])

    def test_json_has_the_shape_edgegw_decode_prints(self):
        bundle = self.decoder.decode(bundles.payload(bundles.sample_bundle()))
        shown = bundle.as_json()
        self.assertEqual(list(shown), ["gateway_id", "bundle_seq", "encoding", "readings"])
        self.assertEqual(shown["readings"][0],
                         {"series": "crane.wind_speed_ms", "unit": "m/s", "ts_ms": 1000,
                          "value": 12.3})
        self.assertEqual(shown["readings"][7]["quality"], "bad")
        self.assertNotIn("unit", shown["readings"][6])

    def assert_refused(self, payload, words):
        with self.assertRaises(BundleError) as refused:
            self.decoder.decode(payload)
        self.assertIn(words, str(refused.exception))

    def test_what_is_not_a_bundle_is_refused_with_the_reason(self):
        self.assert_refused(b"", "empty payload")
        self.assert_refused(b"\x20abc", "unknown bundle format header 0x20")
        self.assert_refused(b"\x12abc", "unknown bundle encoding")
        self.assert_refused(b"\x10\xff\xff\xff", "not a valid edgegw.v1.Bundle")
        self.assert_refused(b"\x11not zstd", "not a zstd frame")
        body = bundles.sample_bundle().SerializeToString()
        unsized = zstandard.ZstdCompressor(write_content_size=False).compress(body)
        self.assert_refused(b"\x11" + unsized, "does not record its content size")
        whole = bundles.payload(bundles.sample_bundle(), zstd=True)
        self.assert_refused(whole[:-4], "corrupt or truncated")

    def test_inconsistent_series_are_refused(self):
        def refused_series(edit, words):
            message = bundles.sample_bundle()
            edit(message.series[0], message.series[2])
            self.assert_refused(bundles.payload(message), words)

        refused_series(lambda s, x: s.value_deltas.append(1), "4 timestamps but 5 values")
        refused_series(lambda s, x: setattr(s, "decimal_exponent", 23), "out of range")
        refused_series(lambda s, x: setattr(s, "step", 0.5), "both a step and a decimal")
        refused_series(
            lambda s, x: (setattr(s, "decimal_exponent", 0), setattr(s, "step", float("inf"))),
            "finite")
        refused_series(lambda s, x: x.value_deltas.append(1), "mixes XOR values")
        refused_series(lambda s, x: x.quality_marks.append(3), "unknown quality 3")
        refused_series(lambda s, x: x.quality_marks.append(1 << 2), "past the last reading")


if __name__ == "__main__":
    unittest.main()
