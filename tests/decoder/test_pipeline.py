import base64
import unittest

import bundles
import handler
from edgegw_decoder.ledger import MemoryLedger, TableStorageLedger
from edgegw_decoder.pipeline import BundlePipeline, gateway_of_topic
from edgegw_decoder.sinks import MemorySink


class FailingSink:
    def __init__(self, failures):
        self.failures = failures
        self.written = []

    def write(self, bundle):
        if self.failures:
            self.failures -= 1
            raise RuntimeError("the stream is unavailable")
        self.written.append(bundle)


class PipelineTest(unittest.TestCase):
    def setUp(self):
        self.ledger = MemoryLedger()
        self.sink = MemorySink()
        self.pipeline = BundlePipeline(bundles.decoder(), self.ledger, self.sink)

    def test_a_resent_bundle_is_written_once(self):
        payload = bundles.payload(bundles.sample_bundle())
        first = self.pipeline.process(payload, sender="gw-1")
        again = self.pipeline.process(payload, sender="gw-1")
        self.assertEqual((first.status, first.readings), ("written", 9))
        self.assertEqual(again.status, "duplicate")
        self.assertEqual(len(self.sink.bundles), 1)
        # Another gateway's bundle with the same number is its own.
        other = bundles.payload(bundles.sample_bundle(gateway_id="gw-2"))
        self.assertEqual(self.pipeline.process(other).status, "written")
        self.assertEqual(len(self.sink.bundles), 2)

    def test_a_failed_write_releases_the_claim_so_the_retry_writes_it(self):
        sink = FailingSink(failures=1)
        pipeline = BundlePipeline(bundles.decoder(), self.ledger, sink)
        payload = bundles.payload(bundles.sample_bundle())
        with self.assertRaises(RuntimeError):
            pipeline.process(payload)
        self.assertEqual(pipeline.process(payload).status, "written")
        self.assertEqual(pipeline.process(payload).status, "duplicate")
        self.assertEqual(len(sink.written), 1)

    def test_a_bundle_naming_another_gateway_is_refused_and_claims_nothing(self):
        payload = bundles.payload(bundles.sample_bundle(gateway_id="gw-victim"))
        outcome = self.pipeline.process(payload, sender="gw-1")
        self.assertEqual(outcome.status, "rejected")
        self.assertIn("gw-victim", outcome.reason)
        self.assertEqual(self.pipeline.process(payload, sender="gw-victim").status, "written")

    def test_garbage_is_rejected_not_raised(self):
        outcome = self.pipeline.process(b"\x10\xff\xff")
        self.assertEqual(outcome.status, "rejected")
        self.assertEqual(self.sink.bundles, [])

    def test_the_topic_names_the_sender_also_behind_basic_ingest(self):
        self.assertEqual(gateway_of_topic("edgegw/gw-7/telemetry"), "gw-7")
        self.assertEqual(gateway_of_topic("$aws/rules/edgegw_telemetry/edgegw/gw-7/telemetry"),
                         "gw-7")
        self.assertIsNone(gateway_of_topic("elsewhere/gw-7/telemetry"))
        self.assertIsNone(gateway_of_topic("edgegw/gw-7/alarms"))


class LambdaHandlerTest(unittest.TestCase):
    def test_a_rule_event_is_decoded_deduplicated_and_checked_against_its_topic(self):
        sink = MemorySink()
        pipeline = BundlePipeline(bundles.decoder(), MemoryLedger(), sink)
        payload = bundles.payload(bundles.sample_bundle(), zstd=True)
        event = {"bundle": base64.b64encode(payload).decode(), "topic": "edgegw/gw-1/telemetry",
                 "received_ms": 1}
        self.assertEqual(handler.handle_event(event, pipeline),
                         {"status": "written", "gateway_id": "gw-1", "bundle_seq": 7,
                          "readings": 9, "reason": ""})
        self.assertEqual(handler.handle_event(event, pipeline)["status"], "duplicate")
        event["topic"] = "edgegw/gw-2/telemetry"
        self.assertEqual(handler.handle_event(event, pipeline)["status"], "rejected")
        self.assertEqual(len(sink.bundles), 1)


class FakeExists(Exception):
    pass


class FakeTable:
    """azure.data.tables.TableClient's create_entity/delete_entity, in memory."""

    def __init__(self):
        self.rows = {}

    def create_entity(self, entity):
        key = (entity["PartitionKey"], entity["RowKey"])
        if key in self.rows:
            raise FakeExists()
        self.rows[key] = entity

    def delete_entity(self, partition_key, row_key):
        self.rows.pop((partition_key, row_key), None)


class TableStorageLedgerTest(unittest.TestCase):
    def test_claims_once_per_pair_and_rows_sort_by_bundle_seq(self):
        table = FakeTable()
        ledger = TableStorageLedger(table, FakeExists)
        self.assertTrue(ledger.claim("gw-1", 9))
        self.assertFalse(ledger.claim("gw-1", 9))
        self.assertTrue(ledger.claim("gw-1", 10))
        self.assertTrue(ledger.claim("gw-2", 9))
        rows = sorted(row for gateway, row in table.rows if gateway == "gw-1")
        self.assertEqual(rows, ["00000000000000000009", "00000000000000000010"])
        ledger.release("gw-1", 9)
        self.assertTrue(ledger.claim("gw-1", 9))


if __name__ == "__main__":
    unittest.main()
