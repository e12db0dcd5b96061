"""The Azure Function that decodes edgegw bundles from the IoT Hub's built-in Event Hubs-
compatible endpoint (Python v2 programming model). Each event is one device-to-cloud message:
its body the bundle, its system properties the device that sent it. Alarms (the message
property edgegw-kind=alarm; a JSON body, where a bundle's first byte is 0x10 or 0x11) are left
to their own route.

App settings:
  IOTHUB_EVENTS          connection string of the hub's Event Hubs-compatible endpoint
  IOTHUB_EVENTHUB_NAME   its Event Hub-compatible name
  LEDGER_CONNECTION      a storage account's connection string; LEDGER_TABLE its table
  READINGS_EVENTHUB      connection string of the Event Hub readings go to (one JSON per
                         reading, the same records as the AWS Kinesis sink)
The same pipeline as the AWS Lambda: decoded, de-duplicated on (gateway_id, bundle_seq) with a
conditional insert into an Azure Table, then written out.
"""

import json
import logging
import os

import azure.functions as func
from azure.core.exceptions import ResourceExistsError
from azure.data.tables import TableClient
from azure.eventhub import EventData, EventHubProducerClient

from edgegw_decoder.bundle import Bundle, BundleDecoder
from edgegw_decoder.ledger import TableStorageLedger
from edgegw_decoder.pipeline import BundlePipeline

app = func.FunctionApp()


class EventHubSink:
    """One JSON event per reading, partitioned by gateway so its readings keep their order."""

    def __init__(self, producer):
        self._producer = producer

    def write(self, bundle: Bundle) -> None:
        batch = self._producer.create_batch(partition_key=bundle.gateway_id)
        for reading in bundle.readings:
            record = {"gateway_id": bundle.gateway_id, "bundle_seq": bundle.bundle_seq}
            record.update(reading.as_json())
            event = EventData(json.dumps(record, separators=(",", ":")))
            try:
                batch.add(event)
            except ValueError:  # the batch is full: send it and start the next
                self._producer.send_batch(batch)
                batch = self._producer.create_batch(partition_key=bundle.gateway_id)
                batch.add(event)
        self._producer.send_batch(batch)


_pipeline = None


def pipeline():
    global _pipeline
    if _pipeline is None:
        ledger = TableStorageLedger(
            TableClient.from_connection_string(os.environ["LEDGER_CONNECTION"],
                                               os.environ["LEDGER_TABLE"]),
            ResourceExistsError)
        producer = EventHubProducerClient.from_connection_string(os.environ["READINGS_EVENTHUB"])
        _pipeline = BundlePipeline(BundleDecoder(), ledger, EventHubSink(producer))
    return _pipeline


@app.event_hub_message_trigger(arg_name="events", event_hub_name="%IOTHUB_EVENTHUB_NAME%",
                               connection="IOTHUB_EVENTS", cardinality="many")
def decode_bundles(events: list[func.EventHubEvent]) -> None:
    for event in events:
        body = event.get_body()
        if body[:1] == b"{":
            continue  # an alarm
        device = (event.iothub_metadata or {}).get("connection-device-id")
        outcome = pipeline().process(body, sender=device)
        logging.info("bundle %s/%s: %s %s", outcome.gateway_id, outcome.bundle_seq,
                     outcome.status, outcome.reason)
