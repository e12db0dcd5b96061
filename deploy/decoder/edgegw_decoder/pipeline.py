"""One received bundle: decoded, claimed in the ledger, written out. What the AWS Lambda and the
Azure Function both run, so the two clouds behave alike."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Optional

from .bundle import BundleDecoder, BundleError
from .ledger import BundleLedger
from .sinks import ReadingSink

log = logging.getLogger("edgegw_decoder")


@dataclass
class Outcome:
    status: str  # "written", "duplicate", "rejected"
    gateway_id: str = ""
    bundle_seq: int = 0
    readings: int = 0
    reason: str = ""


def gateway_of_topic(topic: str) -> Optional[str]:
    """The gateway a telemetry topic names: edgegw/<gateway_id>/telemetry, also behind a Basic
    Ingest prefix ($aws/rules/<rule>/...). None for any other shape of topic."""
    levels = topic.split("/")
    if len(levels) >= 3 and levels[0] == "$aws" and levels[1] == "rules":
        levels = levels[3:]
    if len(levels) == 3 and levels[0] == "edgegw" and levels[2] == "telemetry":
        return levels[1]
    return None


class BundlePipeline:
    def __init__(self, decoder: BundleDecoder, ledger: BundleLedger, sink: ReadingSink):
        self._decoder = decoder
        self._ledger = ledger
        self._sink = sink

    def process(self, payload: bytes, sender: Optional[str] = None) -> Outcome:
        """`sender` is who the cloud says published it (the topic's gateway on AWS, the device
        id on Azure): a bundle naming another gateway is refused, so one device cannot write
        readings, or burn bundle numbers, for another."""
        try:
            bundle = self._decoder.decode(payload)
        except BundleError as error:
            log.warning("rejected a payload of %d bytes: %s", len(payload), error)
            return Outcome("rejected", reason=str(error))
        outcome = Outcome("written", bundle.gateway_id, bundle.bundle_seq, len(bundle.readings))
        if sender is not None and sender != bundle.gateway_id:
            outcome.status = "rejected"
            outcome.reason = f"bundle names gateway {bundle.gateway_id!r} but {sender!r} sent it"
            log.warning("rejected bundle %d: %s", bundle.bundle_seq, outcome.reason)
            return outcome
        if not self._ledger.claim(bundle.gateway_id, bundle.bundle_seq):
            outcome.status = "duplicate"
            log.info("bundle %s/%d seen before: skipped", bundle.gateway_id, bundle.bundle_seq)
            return outcome
        try:
            self._sink.write(bundle)
        except Exception:
            # Not written: the claim goes, so the platform's retry of this event writes it.
            self._ledger.release(bundle.gateway_id, bundle.bundle_seq)
            raise
        return outcome
