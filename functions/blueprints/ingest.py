"""Blueprint ``analyze_upload``: blob trigger on ``uploads/{name}``.

Locally the Functions host (or ``footfall host``) polls the container. In the cloud the
trigger is declared the same way but the Function App setting/Terraform subscribes it to Event
Grid (``source=EventGrid``, see ``functions/README.md``): set ``FOOTFALL_BLOB_TRIGGER_SOURCE=EventGrid``
when the app is indexed and the binding carries ``source: EventGrid``.
"""

from __future__ import annotations

import os

import azure.functions as func

from functions.ingest import etag_from_properties, get_processor

bp = func.Blueprint()

_SOURCE = (
    func.BlobSource.EVENT_GRID
    if os.environ.get("FOOTFALL_BLOB_TRIGGER_SOURCE", "").lower() == "eventgrid"
    else func.BlobSource.LOGS_AND_CONTAINER_SCAN
)


@bp.function_name("analyze_upload")
@bp.blob_trigger(arg_name="blob", path="uploads/{name}", connection="AzureWebJobsStorage", source=_SOURCE)
def analyze_upload(blob: func.InputStream) -> None:
    """Turn one uploaded photo into an anonymized FrameEvent (see :mod:`functions.ingest`).

    Returns normally when the event was sent or the photo quarantined; raises
    ``TransientError`` so the host retries under ``host.json``'s bounded policy.
    """
    get_processor().process(
        name=blob.name or "",
        data=blob.read(),
        metadata=blob.metadata,
        etag=etag_from_properties(blob.blob_properties),
    )
