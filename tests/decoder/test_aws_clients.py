"""The ledger and the sinks against real botocore clients whose requests are checked by
botocore's Stubber: each call must match the AWS API's own model (parameter names, types,
limits) and the expected parameters; the answers are what DynamoDB, Kinesis and Timestream
return."""

import json
import unittest

import boto3
from botocore.stub import ANY, Stubber

import bundles
from edgegw_decoder.ledger import DynamoDbLedger
from edgegw_decoder.sinks import KinesisSink, TimestreamSink


def client(service):
    return boto3.client(service, region_name="eu-west-1", aws_access_key_id="test",
                        aws_secret_access_key="test")


class DynamoDbLedgerTest(unittest.TestCase):
    def test_claim_is_a_conditional_put_and_a_taken_pair_is_a_duplicate(self):
        dynamodb = client("dynamodb")
        ledger = DynamoDbLedger(dynamodb, "edgegw-ledger", keep_days=2, clock=lambda: 1000.0)
        put = {
            "TableName": "edgegw-ledger",
            "Item": {"gateway_id": {"S": "gw-1"}, "bundle_seq": {"N": "42"},
                     "expires_at": {"N": str(1000 + 2 * 86400)}},
            "ConditionExpression": "attribute_not_exists(gateway_id)",
        }
        with Stubber(dynamodb) as stub:
            stub.add_response("put_item", {}, put)
            stub.add_client_error("put_item", service_error_code="ConditionalCheckFailedException",
                                  http_status_code=400, expected_params=put)
            stub.add_response("delete_item", {}, {
                "TableName": "edgegw-ledger",
                "Key": {"gateway_id": {"S": "gw-1"}, "bundle_seq": {"N": "42"}}})
            self.assertTrue(ledger.claim("gw-1", 42))
            self.assertFalse(ledger.claim("gw-1", 42))
            ledger.release("gw-1", 42)
            stub.assert_no_pending_responses()

    def test_any_other_error_is_raised_not_taken_for_a_duplicate(self):
        dynamodb = client("dynamodb")
        ledger = DynamoDbLedger(dynamodb, "edgegw-ledger")
        with Stubber(dynamodb) as stub:
            stub.add_client_error("put_item",
                                  service_error_code="ProvisionedThroughputExceededException")
            with self.assertRaises(dynamodb.exceptions.ProvisionedThroughputExceededException):
                ledger.claim("gw-1", 1)


def big_bundle(readings):
    message = bundles.Bundle(gateway_id="gw-9", bundle_seq=3)
    series = message.series.add(name="s", unit="u")
    series.timestamps.extend(bundles.timestamps(list(range(readings))))
    series.value_deltas.extend(bundles.deltas(list(range(readings))))
    return bundles.decoder().decode(bundles.payload(message))


class KinesisSinkTest(unittest.TestCase):
    def test_readings_go_in_calls_of_500_and_refused_records_are_sent_again(self):
        kinesis = client("kinesis")
        bundle = big_bundle(501)
        with Stubber(kinesis) as stub:
            first = [{"SequenceNumber": "1", "ShardId": "s"}] * 500
            first[7] = {"ErrorCode": "ProvisionedThroughputExceededException",
                        "ErrorMessage": "slow down"}
            stub.add_response("put_records", {"FailedRecordCount": 1, "Records": first},
                              {"StreamName": "readings", "Records": ANY})
            stub.add_response("put_records", {
                                              "Records": [{"SequenceNumber": "2", "ShardId": "s"}]},
                              {"StreamName": "readings",
                               "Records": [{"Data": ANY, "PartitionKey": "gw-9"}]})
            stub.add_response("put_records", {
                                              "Records": [{"SequenceNumber": "3", "ShardId": "s"}]},
                              {"StreamName": "readings",
                               "Records": [{"Data": ANY, "PartitionKey": "gw-9"}]})
            sent = []
            kinesis.meta.events.register(
                "before-parameter-build.kinesis.PutRecords",
                lambda params, **_: sent.append([json.loads(r["Data"]) for r in params["Records"]]))
            KinesisSink(kinesis, "readings").write(bundle)
            stub.assert_no_pending_responses()
        self.assertEqual([len(call) for call in sent], [500, 1, 1])
        self.assertEqual(sent[1][0]["ts_ms"], 7, "the refused record, sent again")
        self.assertEqual(sent[2][0]["ts_ms"], 500)
        self.assertEqual(sent[0][0], {"gateway_id": "gw-9", "bundle_seq": 3, "series": "s",
                                      "unit": "u", "ts_ms": 0, "value": 0.0})


class TimestreamSinkTest(unittest.TestCase):
    def test_readings_are_doubles_at_their_own_time_in_calls_of_100(self):
        timestream = client("timestream-write")
        # Timestream clients discover their endpoint first: that is not what this test checks.
        timestream.meta.events.register_first(
            "before-call.timestream-write.*", lambda **_: None)
        bundle = big_bundle(150)
        with Stubber(timestream) as stub:
            for count in (100, 50):
                stub.add_response("write_records", {}, {
                    "DatabaseName": "edgegw", "TableName": "readings", "Records": ANY})
            sent = []
            timestream.meta.events.register(
                "before-parameter-build.timestream-write.WriteRecords",
                lambda params, **_: sent.append(params["Records"]))
            try:
                TimestreamSink(timestream, "edgegw", "readings").write(bundle)
            finally:
                timestream.meta.events.unregister("before-call.timestream-write.*")
            stub.assert_no_pending_responses()
        self.assertEqual([len(call) for call in sent], [100, 50])
        self.assertEqual(sent[0][1], {
            "Dimensions": [{"Name": "gateway_id", "Value": "gw-9"}, {"Name": "series", "Value": "s"},
                           {"Name": "unit", "Value": "u"}],
            "MeasureName": "value", "MeasureValue": "1.0", "MeasureValueType": "DOUBLE",
            "Time": "1", "TimeUnit": "MILLISECONDS"})


if __name__ == "__main__":
    unittest.main()
