"""De-duplication: edgegw delivers at least once, so a bundle may arrive twice (a resend after a
lost acknowledgement carries the same gateway_id, bundle_seq and bytes). The ledger records each
pair once; only the first arrival is written out."""

from __future__ import annotations

import time
from typing import Protocol


class BundleLedger(Protocol):
    def claim(self, gateway_id: str, bundle_seq: int) -> bool:
        """Records the pair; True if this is its first arrival, False if it was taken before."""

    def release(self, gateway_id: str, bundle_seq: int) -> None:
        """Forgets a claim whose readings could not be written, so the retry is not skipped."""


class MemoryLedger:
    """A ledger in this process's memory: for tests and a single-process consumer."""

    def __init__(self):
        self._taken: set[tuple[str, int]] = set()

    def claim(self, gateway_id: str, bundle_seq: int) -> bool:
        key = (gateway_id, bundle_seq)
        if key in self._taken:
            return False
        self._taken.add(key)
        return True

    def release(self, gateway_id: str, bundle_seq: int) -> None:
        self._taken.discard((gateway_id, bundle_seq))


class DynamoDbLedger:
    """The ledger as a DynamoDB table keyed by gateway_id (partition) and bundle_seq (sort): a
    conditional PutItem succeeds once per pair, however many Lambdas race on it. Items carry an
    expiry (the table's TTL attribute `expires_at`): a resend comes within the gateway's
    retention, so the ledger need not keep pairs for ever."""

    def __init__(self, client, table: str, keep_days: int = 30, clock=time.time):
        self._client = client
        self._table = table
        self._keep_s = keep_days * 86400
        self._clock = clock

    def _key(self, gateway_id: str, bundle_seq: int) -> dict:
        return {"gateway_id": {"S": gateway_id}, "bundle_seq": {"N": str(bundle_seq)}}

    def claim(self, gateway_id: str, bundle_seq: int) -> bool:
        item = self._key(gateway_id, bundle_seq)
        item["expires_at"] = {"N": str(int(self._clock()) + self._keep_s)}
        try:
            self._client.put_item(
                TableName=self._table,
                Item=item,
                ConditionExpression="attribute_not_exists(gateway_id)",
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def release(self, gateway_id: str, bundle_seq: int) -> None:
        self._client.delete_item(TableName=self._table, Key=self._key(gateway_id, bundle_seq))


class TableStorageLedger:
    """The ledger as an Azure Table (azure-data-tables TableClient): PartitionKey gateway_id,
    RowKey the bundle_seq zero-padded so rows sort by it; create_entity fails once a row
    exists, however many function instances race on it."""

    def __init__(self, table_client, exists_error):
        self._table = table_client
        self._exists_error = exists_error  # azure.core.exceptions.ResourceExistsError

    @staticmethod
    def _row(gateway_id: str, bundle_seq: int) -> dict:
        return {"PartitionKey": gateway_id, "RowKey": f"{bundle_seq:020d}"}

    def claim(self, gateway_id: str, bundle_seq: int) -> bool:
        try:
            self._table.create_entity(entity=self._row(gateway_id, bundle_seq))
        except self._exists_error:
            return False
        return True

    def release(self, gateway_id: str, bundle_seq: int) -> None:
        row = self._row(gateway_id, bundle_seq)
        self._table.delete_entity(partition_key=row["PartitionKey"], row_key=row["RowKey"])
