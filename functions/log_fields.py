"""What ingest may say about an upload in a log line or an exception: its store and camera, never its name.

Our log records reach Application Insights (``configure_azure_monitor(logger_name="functions")``, and the
Python worker forwards them to the Functions host), and an exception the function raises is logged by the
host. The promise is that no image, face rectangle, track id, embedding, blob name or URL leaves the
process, so lines name an upload by :func:`upload_place` and a storage failure by :func:`storage_failure`.
"""

from __future__ import annotations

from azure.core.exceptions import AzureError

from functions.contracts import UploadPath, UploadPathError


def upload_place(name: str) -> str:
    """``store=<id> camera=<id>`` of an upload, read from its name; ``store=? camera=?`` when the name
    does not follow the contract (it could be anything, so nothing of it is repeated)."""
    try:
        path = UploadPath.parse(name)
    except UploadPathError:
        return "store=? camera=?"
    return f"store={path.store_id} camera={path.camera_id}"


def storage_failure(operation: str, exc: AzureError) -> str:
    """A Blob Storage failure in words that hold no URL or blob name: the operation, the error's type, and
    the HTTP status and storage error code when there was an answer (an SDK message, or the requests
    library's, quotes the request URL)."""
    status = getattr(exc, "status_code", None)
    code = getattr(exc, "error_code", None)
    answer = " ".join(str(part) for part in (f"HTTP {status}" if status else None, code) if part)
    return f"{operation}: {type(exc).__name__}" + (f" ({answer})" if answer else "")
