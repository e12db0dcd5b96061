"""The AWS Lambda behind the telemetry rules (deploy/aws/cloudformation.yaml): each event is one
bundle, as the rule's SQL hands it over:

    SELECT encode(*, 'base64') AS bundle, topic() AS topic FROM 'edgegw/+/telemetry'

It is decoded (edgegw_decoder, packaged beside this file with bundle.desc), de-duplicated on
(gateway_id, bundle_seq) in DynamoDB, and its readings written to Kinesis or Timestream.

Environment (set by the template):
  LEDGER_TABLE     the DynamoDB table (keys gateway_id S, bundle_seq N; TTL on expires_at)
  LEDGER_KEEP_DAYS how long a pair is remembered (default 30)
  SINK             "kinesis" or "timestream"
  KINESIS_STREAM   the stream, for SINK=kinesis
  TIMESTREAM_DATABASE, TIMESTREAM_TABLE   for SINK=timestream
A failure to write raises, so the rule's Lambda invocation fails and is retried by AWS (the
claim is released first); a payload that is not a bundle is logged and dropped: a retry could
not read it either.
"""

import base64
import os

import boto3

from edgegw_decoder.bundle import BundleDecoder
from edgegw_decoder.ledger import DynamoDbLedger
from edgegw_decoder.pipeline import BundlePipeline, gateway_of_topic
from edgegw_decoder.sinks import KinesisSink, TimestreamSink


def make_sink(environ):
    kind = environ.get("SINK", "kinesis")
    if kind == "kinesis":
        return KinesisSink(boto3.client("kinesis"), environ["KINESIS_STREAM"])
    if kind == "timestream":
        return TimestreamSink(boto3.client("timestream-write"), environ["TIMESTREAM_DATABASE"],
                              environ["TIMESTREAM_TABLE"])
    raise ValueError(f"SINK must be kinesis or timestream, not {kind!r}")


def make_pipeline(environ=os.environ):
    ledger = DynamoDbLedger(boto3.client("dynamodb"), environ["LEDGER_TABLE"],
                            int(environ.get("LEDGER_KEEP_DAYS", "30")))
    return BundlePipeline(BundleDecoder(), ledger, make_sink(environ))


_pipeline = None  # built once per Lambda container, on the first event


def handle_event(event, pipeline):
    """One rule event through `pipeline`; what it did, as a dict (the Lambda's result)."""
    payload = base64.b64decode(event["bundle"], validate=True)
    topic = event.get("topic", "")
    outcome = pipeline.process(payload, sender=gateway_of_topic(topic) if topic else None)
    return {"status": outcome.status, "gateway_id": outcome.gateway_id,
            "bundle_seq": outcome.bundle_seq, "readings": outcome.readings,
            "reason": outcome.reason}


def lambda_handler(event, context):
    global _pipeline
    if _pipeline is None:
        _pipeline = make_pipeline()
    return handle_event(event, _pipeline)
