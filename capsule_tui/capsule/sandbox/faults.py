"""Faults the Capsule stand-in can inject (429, 5xx, drops, truncation, delays, HTML, non-JSON)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

KINDS = ("429", "500", "503", "drop", "truncate", "delay", "html", "notjson")


@dataclass
class Fault:
    """One planned fault.

    kind      one of KINDS
    path      matches request paths starting with this (e.g. "/api/v2/parties", "/api/v2/site")
    page      if set, only requests for this page number (the `page` query, default 1)
    times     how many matching requests it hits; None means every one, until removed
    reset_in  for "429": X-RateLimit-Reset is now + reset_in seconds
    seconds   for "delay": how long to wait before answering normally
    """

    kind: str
    path: str = "/api/v2/parties"
    page: int | None = None
    times: int | None = 1
    reset_in: float = 60.0
    seconds: float = 1.0
    hits: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {KINDS}")

    def matches(self, path: str, page: int) -> bool:
        if not path.startswith(self.path):
            return False
        return self.page is None or self.page == page


class FaultPlan:
    """Thread-safe list of planned faults; the first live match wins and counts down."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def remove(self, fault: Fault) -> None:
        with self._lock:
            if fault in self._faults:
                self._faults.remove(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def pending(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def take(self, path: str, page: int) -> Fault | None:
        """The fault to apply to this request (and count it), or None."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(path, page):
                    fault.hits += 1
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times <= 0:
                            self._faults.remove(fault)
                    return fault
        return None
