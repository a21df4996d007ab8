"""Events to the lab-controller: phase changes, training progress, memory and metrics.

Events are a courtesy, not a dependency: a lost or refused POST is retried briefly and then
dropped, and never fails the run. `seq` increases by one per event, sent or not, so the
controller can tell gaps from duplicates.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from typing import Any

import requests

#: Attempts per event before it is dropped (tries).
ATTEMPTS_DEFAULT = 3
#: Seconds one POST may take before it counts as failed.
TIMEOUT_SECONDS_DEFAULT = 5.0


class EventSender:
    """POSTs runner events as JSON to `url` with a bearer token; a None url only counts them."""

    def __init__(
        self,
        url: str | None,
        token: str | None,
        attempts: int = ATTEMPTS_DEFAULT,
        timeout_seconds: float = TIMEOUT_SECONDS_DEFAULT,
        backoff_seconds: float = 0.5,
        session: requests.Session | None = None,
    ):
        self.url = url
        self.token = token
        self.attempts = attempts
        self.timeout_seconds = timeout_seconds
        self.backoff_seconds = backoff_seconds
        self.session = session or requests.Session()
        self.seq = 0
        self.sent = 0
        self.dropped = 0

    def send(self, event_type: str, **fields: Any) -> dict[str, Any]:
        """Build the next event (type, seq, time, fields), try to deliver it, and return it."""
        event = {
            "type": event_type,
            "seq": self.seq,
            "time": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            **fields,
        }
        self.seq += 1
        if self.url:
            self._deliver(self.url, event)
        return event

    def phase(self, phase: str, message: str | None = None) -> dict[str, Any]:
        """Report a phase change (starting, loading-model, …, succeeded, failed)."""
        return self.send("phase", phase=phase, **({"message": message[:2000]} if message else {}))

    def _deliver(self, url: str, event: dict[str, Any]) -> None:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        for attempt in range(self.attempts):
            try:
                response = self.session.post(url, json=event, headers=headers, timeout=self.timeout_seconds)
                if response.status_code < 500 and response.status_code != 429:
                    if response.status_code < 300:
                        self.sent += 1
                    else:  # a 4xx will not get better by retrying
                        self.dropped += 1
                        print(
                            f"labkit-runner: the controller refused event {event['seq']} ({response.status_code})",
                            file=sys.stderr,
                        )
                    return
            except requests.RequestException:
                pass
            if attempt + 1 < self.attempts:
                time.sleep(self.backoff_seconds * (attempt + 1))
        self.dropped += 1
        print(
            f"labkit-runner: event {event['seq']} ({event['type']}) could not be delivered; continuing", file=sys.stderr
        )
