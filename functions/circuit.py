"""A circuit breaker per dependency, so that an outage does not burn every photo's attempts.

The blob trigger gives each photo a few attempts (``poisonBlobThreshold``, 5) spread over about
15 s; an outage of minutes would use them all. After ``failure_threshold`` transient failures in a
row the breaker *opens*: invocations then stop calling the dependency and *defer* the photo (it
stays in ``uploads``, the invocation succeeds, no attempt is spent). After ``open_s`` one
invocation is let through as a probe (*half-open*); its success closes the breaker, its failure
opens it again for another ``open_s``. Deferred photos come back through the re-drive timer
(:mod:`functions.redrive`) once the dependency answers again.

One breaker per process and dependency: each Functions instance learns of an outage on its own
within ``failure_threshold`` invocations.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel

State = Literal["closed", "open", "half_open"]


class BreakerState(BaseModel):
    """A breaker as reported (counters, logs)."""

    dependency: str
    state: State
    consecutive_failures: int
    opened: int


class CircuitBreaker:
    """Thread-safe breaker for one dependency."""

    def __init__(self, dependency: str, failure_threshold: int = 5, open_s: float = 30.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.dependency = dependency
        self.failure_threshold = failure_threshold
        self.open_s = open_s
        self._clock = clock
        self._lock = threading.Lock()
        self._state: State = "closed"
        self._failures = 0
        self._opened_at = 0.0
        self._opened = 0
        self._probing = False

    def allow(self) -> bool:
        """Whether a call may go to the dependency now (an open breaker lets one probe through after ``open_s``)."""
        with self._lock:
            if self._state == "closed":
                return True
            if self._state == "open" and self._clock() - self._opened_at >= self.open_s:
                self._state = "half_open"
            if self._state == "half_open" and not self._probing:
                self._probing = True
                return True
            return False

    def success(self) -> None:
        """The dependency answered: close."""
        with self._lock:
            self._state, self._failures, self._probing = "closed", 0, False

    def failure(self) -> None:
        """The dependency failed transiently: count, and open at the threshold (or at once when probing)."""
        with self._lock:
            self._failures += 1
            if self._state == "half_open" or self._failures >= self.failure_threshold:
                if self._state != "open":
                    self._opened += 1
                self._state, self._opened_at, self._probing = "open", self._clock(), False

    def release(self) -> None:
        """A probe let through never reached the dependency (the photo failed before): let another probe."""
        with self._lock:
            self._probing = False

    @property
    def state(self) -> BreakerState:
        with self._lock:
            return BreakerState(dependency=self.dependency, state=self._state,
                                consecutive_failures=self._failures, opened=self._opened)


class Breakers:
    """The breakers of one process, by dependency name (``face service``, ``event sink``)."""

    def __init__(self, failure_threshold: int = 5, open_s: float = 30.0) -> None:
        self.failure_threshold = failure_threshold
        self.open_s = open_s
        self._lock = threading.Lock()
        self._breakers: dict[str, CircuitBreaker] = {}

    def __getitem__(self, dependency: str) -> CircuitBreaker:
        with self._lock:
            if dependency not in self._breakers:
                self._breakers[dependency] = CircuitBreaker(dependency, self.failure_threshold, self.open_s)
            return self._breakers[dependency]

    def open(self) -> list[str]:
        """Dependencies whose breaker is not closed."""
        with self._lock:
            breakers = list(self._breakers.values())
        return [b.dependency for b in breakers if b.state.state != "closed"]
