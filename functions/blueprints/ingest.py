"""Blueprint ``analyze_upload``: blob trigger on ``uploads/{name}``.

Locally the Functions host (or ``footfall host``) polls the container. In the cloud the
trigger is declared the same way but the Function App setting/Terraform subscribes it to Event
Grid (``source=EventGrid``, see ``functions/README.md``): set ``FOOTFALL_BLOB_TRIGGER_SOURCE=EventGrid``
when the app is indexed and the binding carries ``source: EventGrid``.
"""

from __future__ import annotations

import azure.functions as func

from functions.contracts import UploadPath, UploadPathError
from functions.ingest import blob_name_in_container, etag_from_properties, get_processor
from functions.settings import get_binding_settings
from functions.telemetry import invocation_span

bp = func.Blueprint()

_SOURCE = (
    func.BlobSource.EVENT_GRID
    if get_binding_settings().blob_trigger_source == "EventGrid"
    else func.BlobSource.LOGS_AND_CONTAINER_SCAN
)


@bp.function_name("analyze_upload")
@bp.blob_trigger(arg_name="blob", path="uploads/{name}", connection="AzureWebJobsStorage", source=_SOURCE)
def analyze_upload(blob: func.InputStream) -> None:
    """Turn one uploaded photo into an anonymized FrameEvent (see :mod:`functions.ingest`).

    Returns normally when the event was sent or the photo quarantined; raises
    ``TransientError`` so the host retries under ``host.json``'s bounded policy.
    """
    # The worker hands the blob binding's stream, which carries metadata and properties.
    assert isinstance(blob, func.blob.InputStream)
    processor = get_processor()
    name = blob.name or ""
    with invocation_span("analyze_upload") as span:
        # Store and camera on the span: the dead-camera alert counts photos per camera (infra/terraform/alerts.tf).
        try:
            path = UploadPath.parse(blob_name_in_container(name, processor.settings.uploads_container), blob.metadata)
            span.set_attributes({"footfall.store_id": path.store_id, "footfall.camera_id": path.camera_id})
        except UploadPathError:
            pass  # quarantined bad_path by the processor
        outcome = processor.process(
            name=name,
            data=blob.read(),
            metadata=blob.metadata,
            etag=etag_from_properties(blob.blob_properties),
        )
        span.set_attribute("footfall.outcome", outcome.status)
        if outcome.reason:
            span.set_attribute("footfall.reason", outcome.reason)
