"""Fixtures of the reports' tests: the fleet day in a fake Cosmos container."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from cosmos_fake import FakeContainer


@pytest.fixture
def cosmos_container(fleet) -> FakeContainer:
    """A fake Cosmos container holding the fleet day as the job's documents (store and zone windows)."""
    return FakeContainer([*fleet.rows, *fleet.zone_rows])


@pytest.fixture
def make_container() -> Callable[..., FakeContainer]:
    """``make_container(documents=())``: a fresh fake Cosmos container."""
    return FakeContainer
