"""Prometheus metrics of one process: messages, latency, NLU confidence, fallbacks, sending."""
from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

REGISTRY = CollectorRegistry()
MESSAGES = Counter("lindungi_messages_total", "Messages handled by the dialogue", ["kind"], registry=REGISTRY)
FALLBACKS = Counter("lindungi_nlu_fallbacks_total", "Texts the NLU could not place", registry=REGISTRY)
CONFIDENCE = Histogram("lindungi_nlu_confidence", "NLU confidence of typed messages", registry=REGISTRY,
                       buckets=(0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0))
HANDLE_SECONDS = Histogram("lindungi_handle_seconds", "Time for the dialogue to handle one event",
                           registry=REGISTRY, buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))
UPDATE_SECONDS = Histogram("lindungi_update_seconds", "From an update's arrival to its replies queued",
                           registry=REGISTRY, buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
NLU_SECONDS = Histogram("lindungi_nlu_parse_seconds", "NLU server: from request to parse result",
                        registry=REGISTRY, buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2.5))
UPDATES_RECEIVED = Counter("lindungi_updates_received_total", "Updates stored by webhook workers",
                           registry=REGISTRY)
UPDATES_SKIPPED = Counter("lindungi_updates_skipped_total", "Updates not processed", ["reason"], registry=REGISTRY)
SENT = Counter("lindungi_sent_total", "Messages delivered by the sender", registry=REGISTRY)
SEND_ERRORS = Counter("lindungi_send_errors_total", "Failed send attempts", ["kind"], registry=REGISTRY)


def render() -> tuple[bytes, str]:
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
