"""python3 -m edgegw_decoder [--descriptor-set FILE] [BUNDLE...]: prints each bundle file (or the
one bundle on stdin) as one line of JSON, in the shape `edgegw decode` prints. A payload that is
not a bundle prints {"file", "error"} instead, and the exit status is 1."""

import argparse
import json
import sys

from .bundle import DEFAULT_DESCRIPTOR_SET, BundleDecoder, BundleError


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="python3 -m edgegw_decoder",
        description="Decode edgegw bundles to JSON, one line per bundle.")
    parser.add_argument("bundles", nargs="*", help="bundle files (default: one bundle on stdin)")
    parser.add_argument("--descriptor-set", default=DEFAULT_DESCRIPTOR_SET,
                        help="edgegw's bundle descriptor set (the build's proto/bundle.desc)")
    args = parser.parse_args()
    decoder = BundleDecoder(args.descriptor_set)
    status = 0
    for name in args.bundles or ["-"]:
        if name == "-":
            payload = sys.stdin.buffer.read()
        else:
            with open(name, "rb") as source:
                payload = source.read()
        try:
            line = decoder.decode(payload).as_json()
        except BundleError as error:
            line = {"file": name, "error": str(error)}
            status = 1
        print(json.dumps(line, separators=(",", ":")))
    return status


if __name__ == "__main__":
    sys.exit(main())
