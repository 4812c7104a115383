"""The local host calls a Functions app as the worker does: its user functions (sync or async) and the
connections of their bindings, including the identity-based form Terraform sets in Azure
(``AzureWebJobsStorage__accountName``)."""

from __future__ import annotations

import azure.functions as func
import pytest
from azure.functions.timer import TimerRequest

from footfall.host.binding import BlobTriggeredFunction, TimerTriggeredFunction, service_client


def test_an_account_name_means_that_account_s_blob_endpoint_with_an_identity() -> None:
    client = service_client("AzureWebJobsStorage", {"AzureWebJobsStorage__accountName": "stfootfallprod12345"})
    assert client.url == "https://stfootfallprod12345.blob.core.windows.net/"
    assert client.credential is not None and not hasattr(client.credential, "account_key")


def test_a_connection_string_wins_and_a_missing_connection_names_the_settings() -> None:
    azurite = ("DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;"
               "BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;")
    client = service_client("AzureWebJobsStorage", {"AzureWebJobsStorage": azurite,
                                                    "AzureWebJobsStorage__accountName": "ignored"})
    assert client.url.startswith("http://127.0.0.1:10000/devstoreaccount1")
    with pytest.raises(KeyError, match="__accountName"):
        service_client("AzureWebJobsStorage", {})


def test_user_functions_are_called_as_the_worker_calls_them_sync_or_async() -> None:
    def read(photo: func.InputStream) -> bytes:
        return photo.read()

    async def read_later(photo: func.InputStream) -> bytes:
        return photo.read().upper()

    def stream() -> func.InputStream:
        return func.blob.InputStream(data=b"jpeg", name="uploads/a.jpg")

    assert BlobTriggeredFunction("a", read, "photo", "uploads/{name}", "c").invoke(stream()) == b"jpeg"
    assert BlobTriggeredFunction("b", read_later, "photo", "uploads/{name}", "c").invoke(stream()) == b"JPEG"

    async def rollup(timer: TimerRequest) -> bool:
        return timer.past_due

    assert TimerTriggeredFunction("rollup", rollup, "timer", "0 0 * * * *").invoke(past_due=True) is True


def test_a_blob_parameter_annotated_bytes_or_str_gets_the_content_as_the_worker_binds_it() -> None:
    # This module has ``from __future__ import annotations``: the annotations are strings until evaluated.
    def as_bytes(photo: bytes) -> bytes:
        return photo

    def as_text(photo: str) -> str:
        return photo

    def stream() -> func.InputStream:
        return func.blob.InputStream(data=b"caf\xc3\xa9", name="uploads/a.txt")

    assert BlobTriggeredFunction("a", as_bytes, "photo", "uploads/{name}", "c").invoke(stream()) == b"caf\xc3\xa9"
    assert BlobTriggeredFunction("b", as_text, "photo", "uploads/{name}", "c").invoke(stream()) == "caf\u00e9"
