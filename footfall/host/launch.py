"""Open the local trigger host on a Functions app: its settings applied, its functions found, its
``host.json`` read, the trigger's container there."""

from __future__ import annotations

from collections.abc import Callable, Collection
from pathlib import Path

from azure.storage.blob import BlobServiceClient

from footfall.host.binding import find_functions, load_local_settings, service_client
from footfall.host.config import HostConfig, HostJson
from footfall.host.runner import Outcome, TriggerHost
from footfall.paths import REPO_ROOT, state_dir
from functions.ingest import reset_processor
from functions.settings import Settings, get_settings

LOCAL_TIMERS: tuple[str, ...] = ("redrive_uploads",)
"""The app's timer functions the local host runs by default: the re-drive. ``rollup_store_days``
writes Cosmos DB rollups, which the local stack (a DuckDB report database) has no use for."""


def default_receipts_path() -> Path:
    """``<state_dir>/host/receipts.sqlite``."""
    return state_dir() / "host" / "receipts.sqlite"


def open_host(
    app_dir: Path = REPO_ROOT,
    *,
    module: str = "function_app",
    function_name: str = "analyze_upload",
    receipts_path: Path | None = None,
    workers: int | None = None,
    poll_interval_s: float = 0.25,
    host_json: Path | None = None,
    quarantine_container: str | None = None,
    on_outcome: Callable[[Outcome], None] | None = None,
    timer_functions: Collection[str] | None = LOCAL_TIMERS,
    settings: Settings | None = None,
) -> TriggerHost:
    """Load the app (after applying ``local.settings.json``) and build a host for its function.

    The app's settings come from ``settings`` when given (the demo builds them in code; the app's
    ``get_settings()`` then returns them), else from the environment as in the Functions host.
    ``workers`` defaults to ``extensions.blobs.maxDegreeOfParallelism``
    in ``host.json``, else 4. A blob whose attempts are used up stays in its container (as in
    Azure), with a ``poisoned`` receipt; the quarantine container (the settings'
    ``quarantine_container``) is where the function puts bad photos. The timer-triggered functions named in
    ``timer_functions`` (``None``: all of the app's) run on their schedules while the host runs.
    """
    load_local_settings(app_dir)
    reset_processor(settings)  # the app reads get_settings(): these settings, or the environment afresh
    spec = HostJson.load(host_json or app_dir / "host.json")
    function, timers = find_functions(app_dir, module, function_name)
    if timer_functions is not None:
        timers = [t for t in timers if t.name in timer_functions]
    quarantine = quarantine_container or get_settings().quarantine_container
    config = HostConfig(
        app_dir=app_dir, app_module=module, function_name=function_name,
        receipts_path=receipts_path or default_receipts_path(),
        workers=workers or spec.max_degree_of_parallelism or 4,
        poll_interval_s=poll_interval_s, retry=spec.retry, function_timeout_s=spec.function_timeout_s,
        quarantine_container=quarantine,
    )
    connection = settings.storage_connection if settings is not None else None
    if connection is not None:
        client = BlobServiceClient.from_connection_string(connection.get_secret_value())
    else:
        client = service_client(function.connection)
    try:
        client.create_container(function.container)
    except Exception:  # already there (or the account forbids it: listing will tell)
        pass
    return TriggerHost(config, function, client, on_outcome=on_outcome, timers=timers)
