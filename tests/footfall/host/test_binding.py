"""The local host resolves a binding's connection the way the Functions host does, including the
identity-based form Terraform sets in Azure (``AzureWebJobsStorage__accountName``)."""

from __future__ import annotations

import pytest

from footfall.host.binding import service_client


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
