"""Find a blob-triggered function in a Python v2 Functions app and call it like the host does.

The worker indexes ``app.get_functions()``; each :class:`azure.functions.decorators.Function`
carries its trigger (``BlobTrigger`` with ``path`` such as ``uploads/{name}`` and ``connection``,
the *name of an app setting*) and the user's Python function. The worker converts the blob into
the parameter's annotated type: ``func.InputStream`` (name ``uploads/<blob>``, uri, length,
metadata, blob properties), ``bytes`` or ``str``.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import json
import logging
import os
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import azure.functions as func
from azure.functions.timer import TimerRequest
from azure.storage.blob import BlobProperties, BlobServiceClient


class _DropAuthLevelNotice(logging.Filter):
    """``get_functions()`` warns that auth levels apply to HTTP functions only: noise here."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Auth level is not applied" not in record.getMessage()


def _index(app: Any) -> list[Any]:
    root, notice = logging.getLogger(), _DropAuthLevelNotice()
    root.addFilter(notice)
    try:
        functions: list[Any] = app.get_functions()
        return functions
    finally:
        root.removeFilter(notice)


class FunctionNotFound(LookupError):
    """The app has no blob-triggered function of that name."""


@dataclass(frozen=True)
class TriggeredFunction:
    """A user function of the app and the name of the parameter its trigger binds."""

    name: str
    user_function: Callable[..., Any]
    arg_name: str

    def _call(self, value: Any) -> Any:
        """Call the user function with ``value`` bound to the trigger's parameter, as the Python worker does:
        directly, or on an event loop when it is async."""
        result = self.user_function(**{self.arg_name: value})
        if inspect.iscoroutine(result):
            result = asyncio.run(result)
        return result


@dataclass(frozen=True)
class BlobTriggeredFunction(TriggeredFunction):
    """A user function and its blob trigger binding."""

    path: str
    connection: str
    source: str | None = None
    """``EventGrid`` or ``LogsAndContainerScan`` as declared; locally the host polls either way."""

    @property
    def container(self) -> str:
        """The container the trigger watches (``uploads`` for ``uploads/{name}``)."""
        return self.path.split("/", 1)[0]

    @property
    def _blob_pattern(self) -> str:
        """The path after the container (``{name}`` for ``uploads/{name}``)."""
        return self.path.split("/", 1)[1] if "/" in self.path else "{name}"

    @property
    def blob_prefix(self) -> str:
        """The literal start of the blob path pattern, for listing (``""`` for ``{name}``)."""
        return self._blob_pattern.split("{", 1)[0]

    @cached_property
    def _blob_regex(self) -> re.Pattern[str]:
        parts = re.split(r"\{[^}]+\}", self._blob_pattern)
        return re.compile("(.+)".join(re.escape(p) for p in parts), flags=re.DOTALL)

    def matches(self, blob_name: str) -> bool:
        """Whether a blob name fits the trigger's path pattern (``{x}`` matches anything)."""
        return self._blob_regex.fullmatch(blob_name) is not None

    def invoke(self, stream: func.InputStream) -> Any:
        """Call the user function the way the Python worker does (sync, or async on an event loop)."""
        # eval_str: in a module with ``from __future__ import annotations`` the annotation is the string "bytes".
        param = inspect.signature(self.user_function, eval_str=True).parameters.get(self.arg_name)
        annotation = param.annotation if param is not None else inspect.Parameter.empty
        value: Any = stream
        if annotation is bytes:
            value = stream.read()
        elif annotation is str:
            value = stream.read().decode("utf-8")
        return self._call(value)


@dataclass(frozen=True)
class TimerTriggeredFunction(TriggeredFunction):
    """A user function with a timer trigger: ``schedule`` is NCRONTAB with seconds first."""

    schedule: str

    def invoke(self, past_due: bool = False) -> Any:
        """Call the user function with a ``func.TimerRequest``, as the worker does."""
        return self._call(TimerRequest(past_due=past_due))


def load_local_settings(app_dir: Path) -> dict[str, str]:
    """Put ``local.settings.json`` ``Values`` into the environment as ``func start`` does.

    Variables already set in the environment win. Returns the values applied.
    """
    path = app_dir / "local.settings.json"
    if not path.is_file():
        return {}
    values = json.loads(path.read_text(encoding="utf-8")).get("Values") or {}
    applied = {k: str(v) for k, v in values.items() if k not in os.environ}
    os.environ.update(applied)
    return applied


def find_functions(
    app_dir: Path, module: str = "function_app", function_name: str = "analyze_upload",
) -> tuple[BlobTriggeredFunction, list[TimerTriggeredFunction]]:
    """Import ``module`` from ``app_dir``; return its blob-triggered function ``function_name`` and
    every timer-triggered function (a ``%SETTING%`` schedule is resolved from the environment)."""
    app_dir = app_dir.resolve()
    if str(app_dir) not in sys.path:
        sys.path.insert(0, str(app_dir))
    # A fresh import, as the worker's at start-up: ``get_functions()`` indexes an app only once
    # (a second call fails its unique-name check), and this one may have been indexed already.
    mod = importlib.reload(sys.modules[module]) if module in sys.modules else importlib.import_module(module)
    app = getattr(mod, "app", None)
    if app is None or not hasattr(app, "get_functions"):
        raise FunctionNotFound(f"{module} in {app_dir} defines no `app = func.FunctionApp()`")
    found, blob, timers = [], None, []
    for fn in _index(app):
        trigger = fn.get_trigger()
        if trigger is None:
            continue
        if trigger.type == "timerTrigger":
            schedule = re.sub(r"%([^%]+)%", lambda m: os.environ[m.group(1)], trigger.schedule)
            timers.append(TimerTriggeredFunction(name=fn.get_function_name(), user_function=fn.get_user_function(),
                                                 arg_name=trigger.name, schedule=schedule))
        if trigger.type != "blobTrigger":
            continue
        found.append(fn.get_function_name())
        if fn.get_function_name() == function_name:
            blob = BlobTriggeredFunction(
                name=function_name, user_function=fn.get_user_function(), arg_name=trigger.name,
                path=trigger.path, connection=trigger.connection or "AzureWebJobsStorage",
                source=getattr(trigger, "source", None),
            )
    if blob is None:
        raise FunctionNotFound(f"no blob-triggered function {function_name!r} in {module} (found: {found or 'none'})")
    return blob, timers


def find_blob_function(
    app_dir: Path, module: str = "function_app", function_name: str = "analyze_upload",
) -> BlobTriggeredFunction:
    """Import ``module`` from ``app_dir`` and return its blob-triggered function ``function_name``."""
    return find_functions(app_dir, module, function_name)[0]


def service_client(connection: str, env: Mapping[str, str] | None = None) -> BlobServiceClient:
    """Resolve a binding's ``connection`` setting the way the host does.

    ``<connection>`` holds a connection string; otherwise an identity-based connection with
    ``DefaultAzureCredential``: ``<connection>__blobServiceUri`` (or ``__serviceUri``), or
    ``<connection>__accountName`` (what Terraform sets), which means ``https://<name>.blob.core.windows.net``.
    """
    env = os.environ if env is None else env
    if env.get(connection):
        return BlobServiceClient.from_connection_string(env[connection])
    uri = env.get(f"{connection}__blobServiceUri") or env.get(f"{connection}__serviceUri")
    if not uri and env.get(f"{connection}__accountName"):
        uri = f"https://{env[f'{connection}__accountName']}.blob.core.windows.net"
    if uri:
        from azure.identity import DefaultAzureCredential

        return BlobServiceClient(uri, credential=DefaultAzureCredential())
    raise KeyError(f"app setting {connection!r} (or {connection}__accountName / __blobServiceUri) is not set")


def input_stream(container: str, blob_url: str, props: BlobProperties, data: bytes) -> func.InputStream:
    """The ``func.InputStream`` the Python worker builds from the host's blob trigger payload."""
    settings = props.content_settings
    properties = {
        "ContentLength": props.size,
        "Length": props.size,
        "ContentType": settings.content_type if settings else None,
        "ContentMD5": settings.content_md5.hex() if settings and settings.content_md5 else None,
        "ETag": props.etag,
        "LastModified": props.last_modified.isoformat() if props.last_modified else None,
        "CreatedOn": props.creation_time.isoformat() if props.creation_time else None,
        "BlobType": str(props.blob_type.value if hasattr(props.blob_type, "value") else props.blob_type),
    }
    return func.blob.InputStream(
        data=data, name=f"{container}/{props.name}", uri=blob_url, length=len(data),
        metadata=dict(props.metadata or {}), blob_properties=properties,
    )
