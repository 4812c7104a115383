"""The local trigger host against real Azurite, with a small Functions app written per test.

The app is a real Python v2 ``func.FunctionApp`` with a blob trigger; the host must find it through
``app.get_functions()`` and call it as the Functions host does. What the function does depends
on the blob name, so one app covers success, quarantine, transient failures and poison.
"""

from __future__ import annotations

import itertools
import json
import time
from pathlib import Path

import pytest
from azure.storage.blob import BlobServiceClient

from footfall.azurite import Azurite
from footfall.host import HostJson, Status, TriggerHost, open_host
from footfall.host.config import parse_timespan
from functions.ingest import reset_processor
from functions.settings import Settings, get_settings

_counter = itertools.count()

APP_SOURCE = '''
import json, os, threading, time
from pathlib import Path
import azure.functions as func
from azure.storage.blob import BlobServiceClient

app = func.FunctionApp()
OUT = Path(os.environ["HOSTTEST_OUT_{n}"])
_lock = threading.RLock()
_active = [0]

def _record(kind, **fields):
    with _lock, open(OUT / f"{{kind}}.jsonl", "a") as f:
        f.write(json.dumps(fields) + "\\n")

@app.blob_trigger(arg_name="photo", path="{container}/{{name}}", connection="AzureWebJobsStorage")
def analyze_upload(photo: func.InputStream) -> None:
    name = photo.name.split("/", 1)[1]
    data = photo.read()
    with _lock:
        _active[0] += 1
        _record("active", n=_active[0])
    try:
        _record("calls", name=photo.name, uri=photo.uri, length=photo.length, size=len(data),
                metadata=photo.metadata, etag=photo.blob_properties["ETag"])
        if "slow" in name:
            time.sleep(0.4)
        if "stuck" in name:
            time.sleep(1.5)
        if "flaky" in name:
            tries = sum(1 for line in open(OUT / "calls.jsonl") if name in line)
            if tries <= 2:
                raise ConnectionError(f"face service busy (try {{tries}})")
        if "poison" in name:
            raise RuntimeError("always fails")
        service = BlobServiceClient.from_connection_string(os.environ["AzureWebJobsStorage"])
        if "bad" in name:
            service.get_blob_client("{quarantine}", name).upload_blob(
                data, overwrite=True, metadata={{"reason": "bad"}})
            service.get_blob_client("{container}", name).delete_blob()
            return
        _record("events", name=name, etag=photo.blob_properties["ETag"])
        if os.environ.get("HOSTTEST_KEEP") != "1":
            service.get_blob_client("{container}", name).delete_blob()
    finally:
        with _lock:
            _active[0] -= 1

@app.timer_trigger(schedule="%HOSTTEST_SCHEDULE_{n}%", arg_name="timer", run_on_startup=False)
def tick(timer: func.TimerRequest) -> None:
    _record("ticks", past_due=timer.past_due, at=time.time())
'''


class App:
    """A generated app: its folder, module, containers and what the function recorded."""

    def __init__(self, root: Path, azurite: Azurite, monkeypatch: pytest.MonkeyPatch, retry: dict) -> None:
        n = next(_counter)
        self.module = f"hosttest_app_{n}_{int(time.time() * 1000)}"
        self.container, self.quarantine = f"hosttest{n}-uploads", f"hosttest{n}-quarantine"
        self.dir, self.out = root / "app", root / "out"
        self.dir.mkdir()
        self.out.mkdir()
        (self.dir / f"{self.module}.py").write_text(
            APP_SOURCE.format(n=n, container=self.container, quarantine=self.quarantine)
        )
        (self.dir / "host.json").write_text(json.dumps({"version": "2.0", "retry": retry}))
        monkeypatch.setenv(f"HOSTTEST_OUT_{n}", str(self.out))
        monkeypatch.setenv(f"HOSTTEST_SCHEDULE_{n}", "0 0 0 1 1 *")  # once a year: out of the way
        monkeypatch.setenv("AzureWebJobsStorage", azurite.connection_string)
        self.service = BlobServiceClient.from_connection_string(azurite.connection_string)
        for c in (self.container, self.quarantine):
            self.service.create_container(c)
        self.receipts = root / "receipts.sqlite"

    def host(self, workers: int = 4) -> TriggerHost:
        return open_host(self.dir, module=self.module, receipts_path=self.receipts, workers=workers,
                         poll_interval_s=0.05, quarantine_container=self.quarantine, timer_functions=None)

    def run(self, workers: int = 4) -> TriggerHost:
        host = self.host(workers)
        host.run(until_idle=True)
        host.close()
        return host

    def upload(self, name: str, data: bytes = b"\xff\xd8photo", metadata: dict | None = None) -> str:
        return self.service.get_blob_client(self.container, name).upload_blob(
            data, overwrite=True, metadata=metadata)["etag"]

    def recorded(self, kind: str) -> list[dict]:
        path = self.out / f"{kind}.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    def names(self, container: str) -> set[str]:
        return {b.name for b in self.service.get_container_client(container).list_blobs()}


FAST_RETRY = {"strategy": "fixedDelay", "maxRetryCount": 3, "delayInterval": "00:00:00.1"}


@pytest.fixture
def app(tmp_path: Path, azurite: Azurite, monkeypatch: pytest.MonkeyPatch) -> App:
    return App(tmp_path, azurite, monkeypatch, FAST_RETRY)


def test_host_invokes_the_registered_function_with_the_input_stream_the_functions_host_builds(app: App) -> None:
    etag = app.upload("S0001/C01/2026/11/23/080000000-1.jpg", b"\xff\xd8abc", {"capturedat": "2026-11-23T08:00:00Z"})

    host = app.run()

    (call,) = app.recorded("calls")
    assert call["name"] == f"{app.container}/S0001/C01/2026/11/23/080000000-1.jpg"
    assert call["uri"].endswith(f"/{app.container}/S0001/C01/2026/11/23/080000000-1.jpg")
    assert call["length"] == call["size"] == 5
    assert call["metadata"] == {"capturedat": "2026-11-23T08:00:00Z"}
    assert call["etag"] == etag
    assert host.counters.seen == host.counters.succeeded == 1
    assert host.counters.pending == 0
    assert app.names(app.container) == set()


def test_settings_given_to_the_host_are_the_apps_and_name_its_storage_and_quarantine(
    app: App, azurite: Azurite, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The demo hands the host a Settings object instead of editing the environment."""
    settings = Settings(AzureWebJobsStorage=azurite.connection_string, FOOTFALL_QUARANTINE_CONTAINER=app.quarantine)
    monkeypatch.delenv("AzureWebJobsStorage")  # the host must not need it
    try:
        host = open_host(app.dir, module=app.module, receipts_path=app.receipts, settings=settings,
                         timer_functions=())
        assert get_settings() is settings
        assert host.config.quarantine_container == app.quarantine
        assert host.client.url.startswith(f"http://127.0.0.1:{azurite.port}/")
        host.close()
    finally:
        reset_processor()


def test_receipts_keep_a_restarted_host_from_processing_a_blob_version_twice(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOSTTEST_KEEP", "1")  # the function leaves the blob in place ("tag" mode)
    app.upload("a.jpg")
    app.upload("b.jpg")
    assert app.run().counters.succeeded == 2

    restarted = app.run()
    assert restarted.counters.seen == 0
    assert len(app.recorded("events")) == 2

    new_etag = app.upload("a.jpg", b"\xff\xd8a second photo under the same name")
    third = app.run()
    assert third.counters.succeeded == 1
    assert [e["etag"] for e in app.recorded("events")][-1] == new_etag


def test_a_transient_error_is_retried_under_the_host_json_policy_until_it_succeeds(app: App) -> None:
    app.upload("flaky.jpg")

    host = app.run()

    assert len(app.recorded("calls")) == 3
    assert len(app.recorded("events")) == 1
    assert (host.counters.retried, host.counters.succeeded, host.counters.poisoned) == (2, 1, 0)


def test_a_blob_that_fails_every_attempt_is_poisoned_and_stays_where_it_is_as_in_azure(app: App) -> None:
    app.upload("poison.jpg", b"\xff\xd8never works", {"cameraid": "C01"})

    host = app.run()

    assert len(app.recorded("calls")) == FAST_RETRY["maxRetryCount"] + 1
    assert host.counters.poisoned == 1 and host.counters.retried == FAST_RETRY["maxRetryCount"]
    # The Functions host leaves a poisoned blob in its container (its poison queue gets a message):
    # nothing is lost, and the same version is never invoked again, even by a restarted host.
    assert app.names(app.container) == {"poison.jpg"} and app.names(app.quarantine) == set()
    assert app.run().counters.seen == 0
    assert len(app.recorded("calls")) == FAST_RETRY["maxRetryCount"] + 1

    app.upload("poison.jpg", b"\xff\xd8a new version: the re-drive writes one")
    assert app.run().counters.seen == 1


def test_an_invocation_past_function_timeout_is_a_failed_attempt_and_frees_its_worker(app: App) -> None:
    spec = json.loads((app.dir / "host.json").read_text())
    (app.dir / "host.json").write_text(json.dumps({**spec, "functionTimeout": "00:00:00.3",
                                                   "retry": {**FAST_RETRY, "maxRetryCount": 1}}))
    app.upload("stuck.jpg")
    for i in range(4):
        app.upload(f"good-{i}.jpg")

    started = time.monotonic()
    host = app.run(workers=1)

    assert host.config.function_timeout_s == 0.3
    assert host.counters.succeeded == 4  # one worker: the stuck photo did not hold it for 1.5 s twice
    assert host.counters.poisoned == 1
    from footfall.host import ReceiptDatabase

    store = ReceiptDatabase(app.receipts)
    (stuck,) = [r for r in store.all() if r.blob_name == "stuck.jpg"]
    store.close()
    assert stuck.status == Status.POISONED and "functionTimeout" in (stuck.last_error or "")
    assert time.monotonic() - started < 3.0


def test_timer_functions_run_on_their_schedule_while_the_host_runs(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    monkeypatch.setenv(f"HOSTTEST_SCHEDULE_{app.module.split('_')[2]}", "*/1 * * * * *")  # every second
    host = app.host()
    assert [t.function.schedule for t in host.timers] == ["*/1 * * * * *"]
    stop = threading.Event()
    runner = threading.Thread(target=host.run, args=(stop,))
    runner.start()
    time.sleep(3.2)
    stop.set()
    runner.join()
    host.close()

    ticks = app.recorded("ticks")
    assert 2 <= len(ticks) <= 4
    assert all(b["at"] - a["at"] > 0.5 for a, b in zip(ticks, ticks[1:], strict=False))


def test_photos_the_function_quarantines_are_counted_as_quarantined(app: App) -> None:
    app.upload("bad.jpg")
    app.upload("good.jpg")

    host = app.run()

    assert (host.counters.succeeded, host.counters.quarantined) == (1, 1)
    assert app.names(app.quarantine) == {"bad.jpg"}


def test_several_photos_are_in_flight_at_once(app: App) -> None:
    for i in range(8):
        app.upload(f"slow-{i}.jpg")

    started = time.monotonic()
    host = app.run(workers=4)
    elapsed = time.monotonic() - started

    assert host.counters.succeeded == 8
    assert max(r["n"] for r in app.recorded("active")) == 4
    assert elapsed < 8 * 0.4 * 0.75  # well under one-at-a-time


def test_receipts_record_every_outcome_durably(app: App) -> None:
    app.upload("good.jpg")
    app.upload("bad.jpg")
    app.upload("poison.jpg")
    app.run()

    from footfall.host import ReceiptDatabase

    store = ReceiptDatabase(app.receipts)
    by_name = {r.blob_name: r for r in store.all()}
    store.close()
    assert {n: r.status for n, r in by_name.items()} == {
        "good.jpg": Status.SUCCEEDED, "bad.jpg": Status.QUARANTINED, "poison.jpg": Status.POISONED,
    }
    assert by_name["poison.jpg"].attempts == 4


def test_host_json_retry_policies_are_read_as_the_functions_host_reads_them(tmp_path: Path) -> None:
    assert parse_timespan("00:00:05") == 5.0
    assert parse_timespan("00:01:00.5") == 60.5
    assert parse_timespan("1.00:00:00") == 86400.0

    (tmp_path / "host.json").write_text(json.dumps({"version": "2.0", "retry": {
        "strategy": "exponentialBackoff", "maxRetryCount": 5,
        "minimumInterval": "00:00:01", "maximumInterval": "00:00:05"}}))
    policy = HostJson.load(tmp_path / "host.json").retry
    assert policy.max_attempts == 6
    assert [policy.delay_before_retry(i) for i in range(1, 6)] == [1, 2, 4, 5, 5]

    (tmp_path / "host.json").write_text(json.dumps({"version": "2.0", "extensions": {
        "blobs": {"maxDegreeOfParallelism": 8, "poisonBlobThreshold": 3}}}))
    spec = HostJson.load(tmp_path / "host.json")
    assert spec.retry.max_attempts == 3  # the blob trigger's poisonBlobThreshold
    assert [spec.retry.delay_before_retry(i) for i in (1, 2)] == [1, 2]
    assert spec.max_degree_of_parallelism == 8


def test_a_receipt_left_running_by_a_killed_host_is_closed_when_its_blob_has_gone(app: App) -> None:
    from footfall.host import ReceiptDatabase

    store = ReceiptDatabase(app.receipts)
    store.start_attempt("finished-before-the-kill.jpg", '"0x1"')  # the kill came before finish()
    store.close()
    app.upload("new.jpg")

    host = app.run()

    store = ReceiptDatabase(app.receipts)
    statuses = {r.blob_name: r.status for r in store.all()}
    store.close()
    assert statuses == {"finished-before-the-kill.jpg": Status.GONE, "new.jpg": Status.SUCCEEDED}
    assert host.counters.succeeded == 1


def test_a_blob_name_azurite_cannot_list_neither_stalls_the_host_nor_goes_unnamed(
    app: App, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    caplog.set_level(logging.WARNING, logger="footfall.host")
    app.upload("S0001/a.jpg")
    app.upload("S0002/b\x00c.jpg")  # Azurite answers 500 for any listing page that would hold it
    app.upload("S0002/d.jpg")
    app.upload("S0003/e.jpg")

    host = app.run()

    assert {e["name"] for e in app.recorded("events")} == {"S0001/a.jpg", "S0002/d.jpg", "S0003/e.jpg"}
    assert host.counters.succeeded == 3
    (warning,) = [r.getMessage() for r in caplog.records if "cannot list blob" in r.getMessage()]
    assert "'S0002/b'" in warning and app.container in warning
