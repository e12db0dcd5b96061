"""Where decoded readings go. Each sink writes a whole bundle's readings or raises; the pipeline
then releases the bundle's claim so the retry writes them."""

from __future__ import annotations

import json
from typing import Protocol

from .bundle import Bundle


class ReadingSink(Protocol):
    def write(self, bundle: Bundle) -> None: ...


class MemorySink:
    """Keeps what it is given: for tests and local runs."""

    def __init__(self):
        self.bundles: list[Bundle] = []

    def write(self, bundle: Bundle) -> None:
        self.bundles.append(bundle)


def _reading_record(bundle: Bundle, reading) -> dict:
    record = {"gateway_id": bundle.gateway_id, "bundle_seq": bundle.bundle_seq}
    record.update(reading.as_json())
    return record


class KinesisSink:
    """One JSON record per reading on a Kinesis data stream, partitioned by gateway so a
    gateway's readings stay in order within a shard. PutRecords takes 500 records a call; the
    records a throttled call leaves out are sent again."""

    BATCH = 500
    ATTEMPTS = 5

    def __init__(self, client, stream: str):
        self._client = client
        self._stream = stream

    def write(self, bundle: Bundle) -> None:
        records = [
            {
                "Data": json.dumps(_reading_record(bundle, r), separators=(",", ":")).encode(),
                "PartitionKey": bundle.gateway_id,
            }
            for r in bundle.readings
        ]
        for start in range(0, len(records), self.BATCH):
            pending = records[start : start + self.BATCH]
            for _ in range(self.ATTEMPTS):
                answer = self._client.put_records(StreamName=self._stream, Records=pending)
                if answer.get("FailedRecordCount", 0) == 0:
                    break
                pending = [
                    record
                    for record, result in zip(pending, answer["Records"])
                    if "ErrorCode" in result
                ]
            else:
                raise RuntimeError(f"kinesis: {len(pending)} records still refused")


class TimestreamSink:
    """One record per reading in a Timestream table: dimensions gateway_id and series (and the
    quality where it is not good), the measure `value` as a DOUBLE at the reading's own time.
    WriteRecords takes 100 records a call. A value that is not a number is left out: Timestream
    has no spelling for it."""

    BATCH = 100

    def __init__(self, client, database: str, table: str):
        self._client = client
        self._database = database
        self._table = table

    def write(self, bundle: Bundle) -> None:
        records = []
        for r in bundle.readings:
            if r.value is None:
                continue
            dimensions = [
                {"Name": "gateway_id", "Value": bundle.gateway_id},
                {"Name": "series", "Value": r.series},
            ]
            if r.unit:
                dimensions.append({"Name": "unit", "Value": r.unit})
            if r.quality != "good":
                dimensions.append({"Name": "quality", "Value": r.quality})
            records.append(
                {
                    "Dimensions": dimensions,
                    "MeasureName": "value",
                    "MeasureValue": repr(r.value),
                    "MeasureValueType": "DOUBLE",
                    "Time": str(r.ts_ms),
                    "TimeUnit": "MILLISECONDS",
                }
            )
        for start in range(0, len(records), self.BATCH):
            self._client.write_records(
                DatabaseName=self._database,
                TableName=self._table,
                Records=records[start : start + self.BATCH],
            )
