"""The local trigger host for the Functions app's blob-triggered function (``footfall host``).

It imports ``function_app`` (the same ``app`` that ``func start`` and Azure index), finds
``analyze_upload`` and its blob trigger binding, and invokes it with a ``func.InputStream`` for
every new blob version in the trigger's container (Azurite's ``uploads``): :mod:`.launch` opens it,
:mod:`.runner` mirrors the Functions host (and says why it polls), :mod:`.cli` is the command.
"""

from __future__ import annotations

from footfall.host.binding import BlobTriggeredFunction, TimerTriggeredFunction
from footfall.host.cli import main
from footfall.host.config import HostConfig, HostJson, RetryPolicy
from footfall.host.launch import LOCAL_TIMERS, default_receipts_path, open_host
from footfall.host.receipts import Receipt, ReceiptDatabase, Status
from footfall.host.runner import HostCounters, Outcome, TriggerHost

__all__ = [
    "BlobTriggeredFunction", "LOCAL_TIMERS", "TimerTriggeredFunction", "HostConfig", "HostCounters", "HostJson",
    "Outcome", "Receipt", "ReceiptDatabase", "RetryPolicy", "Status", "TriggerHost", "default_receipts_path", "main",
    "open_host",
]
