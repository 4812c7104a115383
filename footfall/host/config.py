"""Configuration of the local trigger host, with the retry policy read from ``host.json``.

The Functions host reads its retry policy from the ``retry`` section of ``host.json``::

    {"retry": {"strategy": "fixedDelay", "maxRetryCount": 2, "delayInterval": "00:00:03"}}
    {"retry": {"strategy": "exponentialBackoff", "maxRetryCount": 4,
               "minimumInterval": "00:00:01", "maximumInterval": "00:00:30"}}

and its blob-trigger options from ``extensions.blobs`` (``maxDegreeOfParallelism``,
``poisonBlobThreshold``). In Azure the blob trigger ignores the ``retry`` section and uses its own
behaviour: ``poisonBlobThreshold`` attempts (default 5), then the poison queue. Without a
``retry`` section this host does the same, spacing the attempts with an exponential backoff
(1 s doubling up to 15 s) so a briefly overloaded face service is not poisoned within
milliseconds.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

_TIMESPAN = re.compile(r"^(?:(?P<d>\d+)\.)?(?P<h>\d{1,2}):(?P<m>\d{2}):(?P<s>\d{2}(?:\.\d+)?)$")


def parse_timespan(value: str | float | int) -> float:
    """Seconds in a .NET ``TimeSpan`` string (``[d.]hh:mm:ss[.fff]``), as ``host.json`` writes them."""
    if isinstance(value, (int, float)):
        return float(value)
    match = _TIMESPAN.match(value.strip())
    if match is None:
        raise ValueError(f"not a TimeSpan [d.]hh:mm:ss[.fff]: {value!r}")
    g = match.groupdict()
    return timedelta(
        days=int(g["d"] or 0), hours=int(g["h"]), minutes=int(g["m"]), seconds=float(g["s"])
    ).total_seconds()


class RetryPolicy(BaseModel):
    """How often and how soon a failed invocation is retried before the poison path."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore", frozen=True)

    strategy: Literal["fixedDelay", "exponentialBackoff"] = "fixedDelay"
    max_retry_count: int = Field(default=4, ge=0, alias="maxRetryCount")
    delay_interval: float = Field(default=0.0, ge=0, alias="delayInterval")
    minimum_interval: float = Field(default=1.0, ge=0, alias="minimumInterval")
    maximum_interval: float = Field(default=30.0, ge=0, alias="maximumInterval")

    @field_validator("delay_interval", "minimum_interval", "maximum_interval", mode="before")
    @classmethod
    def _timespan(cls, v: str | float) -> float:
        return parse_timespan(v)

    @property
    def max_attempts(self) -> int:
        """Invocations of one blob in total: the first one plus the retries."""
        return self.max_retry_count + 1

    def delay_before_retry(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (1-based)."""
        if self.strategy == "fixedDelay":
            return self.delay_interval
        return float(min(self.maximum_interval, self.minimum_interval * 2 ** (retry - 1)))


class HostJson(BaseModel):
    """The parts of ``host.json`` the local trigger host honours."""

    retry: RetryPolicy
    max_degree_of_parallelism: int | None = None
    function_timeout_s: float | None = Field(
        default=None, description="``functionTimeout``: an invocation running longer has failed (None: no limit).",
    )
    source: str = "built-in default"

    @classmethod
    def load(cls, path: Path) -> HostJson:
        """Read ``host.json``; a missing file or section gives the blob trigger's defaults."""
        if not path.is_file():
            return cls(retry=RetryPolicy(), source=f"{path} (missing: defaults)")
        doc = json.loads(path.read_text(encoding="utf-8"))
        blobs = (doc.get("extensions") or {}).get("blobs") or {}
        if doc.get("retry"):
            retry = RetryPolicy.model_validate(doc["retry"])
        else:
            threshold = int(blobs.get("poisonBlobThreshold", 5))
            retry = RetryPolicy(
                strategy="exponentialBackoff", maxRetryCount=max(threshold - 1, 0),
                minimumInterval=1.0, maximumInterval=15.0,
            )
        timeout = doc.get("functionTimeout")
        timeout_s = None if timeout in (None, "-1", -1) else parse_timespan(timeout)
        return cls(retry=retry, max_degree_of_parallelism=blobs.get("maxDegreeOfParallelism"),
                   function_timeout_s=timeout_s, source=str(path))


class HostConfig(BaseModel):
    """Everything one run of the trigger host needs."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    app_dir: Path = Field(description="Folder holding function_app.py, host.json, local.settings.json.")
    app_module: str = Field(default="function_app", description="Module (in app_dir) that defines `app`.")
    function_name: str = Field(default="analyze_upload")
    receipts_path: Path
    workers: int = Field(default=4, ge=1, le=64, description="Photos in flight at once.")
    poll_interval_s: float = Field(default=0.25, gt=0)
    retry: RetryPolicy = Field(default_factory=RetryPolicy)
    function_timeout_s: float | None = Field(default=None, gt=0, description="host.json functionTimeout.")
    quarantine_container: str = Field(default="quarantine", description="Where the function quarantines.")
