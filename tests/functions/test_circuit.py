"""The circuit breaker: open after N failures in a row, one probe after the cool-down, closed by a success."""

from __future__ import annotations

from functions.circuit import Breakers, CircuitBreaker


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_breaker_opens_after_the_threshold_and_lets_one_probe_through_after_the_cool_down() -> None:
    clock = Clock()
    breaker = CircuitBreaker("face service", failure_threshold=3, open_s=10, clock=clock)
    for _ in range(2):
        assert breaker.allow()
        breaker.failure()
    assert breaker.state.state == "closed"
    breaker.failure()
    assert breaker.state.state == "open" and not breaker.allow()

    clock.now = 10.0
    assert breaker.allow()  # the probe
    assert not breaker.allow()  # only one at a time
    breaker.failure()  # the probe failed: open for another 10 s
    assert breaker.state.state == "open" and not breaker.allow()
    clock.now = 20.0
    assert breaker.allow()
    breaker.success()
    assert breaker.state.state == "closed" and breaker.allow() and breaker.allow()
    assert breaker.state.opened == 2


def test_a_success_resets_the_count_of_failures_in_a_row() -> None:
    breaker = CircuitBreaker("event sink", failure_threshold=2)
    breaker.failure()
    breaker.success()
    breaker.failure()
    assert breaker.state.state == "closed"


def test_breakers_are_one_per_dependency() -> None:
    breakers = Breakers(failure_threshold=1, open_s=60)
    breakers["face service"].failure()
    assert breakers.open() == ["face service"]
    assert breakers["event sink"].allow()
