"""edgegw's cloud-side decoder: bundles back into readings, once each, for a whole fleet.

bundle    decodes a payload (the format of proto/edgegw/v1/bundle.proto)
ledger    remembers which (gateway_id, bundle_seq) were taken, so a resent bundle is skipped
sinks     where readings go (Kinesis, Timestream)
pipeline  one received bundle through all three, as the AWS Lambda and the Azure Function run it
"""
