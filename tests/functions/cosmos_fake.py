"""A stand-in for ``azure.cosmos.ContainerProxy`` at the SDK boundary, for the Cosmos DB adapter's tests."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from azure.cosmos.exceptions import CosmosHttpResponseError


@dataclass
class SdkCall:
    """One call the adapter made on the container proxy."""

    method: str
    query: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    kwargs: dict[str, Any] = field(default_factory=dict)


class FakeContainer:
    """Stands in for ``azure.cosmos.ContainerProxy`` at the SDK boundary.

    It records every call and answers the query shapes the adapter sends - ``SELECT * | VALUE
    MIN(c.f) | VALUE MAX(c.f) | DISTINCT c.a, c.b FROM c [WHERE c.f op @p AND ...]`` - over
    its documents, honouring ``partition_key`` and refusing cross-partition queries that were
    not enabled, as the service does. Results come back page by page, like ``ItemPaged``.
    """

    _CONDITION = re.compile(r"^c\.(\w+) (=|>=|<=) (@\w+)$")
    _QUERY = re.compile(r"^SELECT (?P<projection>.+?) FROM c(?: WHERE (?P<where>.+))?$")

    def __init__(self, documents: Iterable[dict[str, Any]] = (), page_size: int = 40) -> None:
        self.documents: dict[str, dict[str, Any]] = {}
        for i, doc in enumerate(documents):
            self.documents[doc["id"]] = {**doc, "_rid": f"rid{i}", "_etag": f'"{i}"', "_ts": 1795420800 + i}
        self.page_size = page_size
        self.calls: list[SdkCall] = []
        self.fail_with: Exception | None = None

    def query_items(self, query: str, parameters: list[dict[str, Any]] | None = None,
                    partition_key: str | None = None, enable_cross_partition_query: bool | None = None,
                    **kwargs: Any) -> Iterator[Any]:
        params = {p["name"]: p["value"] for p in parameters or []}
        self.calls.append(SdkCall("query_items", query, params, {
            "partition_key": partition_key, "enable_cross_partition_query": enable_cross_partition_query, **kwargs}))
        if self.fail_with is not None:
            raise self.fail_with
        if partition_key is None and not enable_cross_partition_query:
            raise CosmosHttpResponseError(status_code=400, message="Cross partition query is required but disabled")
        match = self._QUERY.match(query)
        assert match, f"unexpected query shape: {query}"
        docs = [d for d in self.documents.values() if partition_key is None or d["store_id"] == partition_key]
        for condition in (match["where"] or "").split(" AND ") if match["where"] else []:
            cond = self._CONDITION.match(condition)
            if cond is None:  # a literal the adapter inlined would land here: it must use parameters
                raise AssertionError(f"condition without a parameter: {condition}")
            column, op, name = cond.groups()
            value = params[name]
            test = {"=": lambda a, v=value: a == v, ">=": lambda a, v=value: a is not None and a >= v,
                    "<=": lambda a, v=value: a is not None and a <= v}[op]
            docs = [d for d in docs if test(d.get(column))]
        projection = match["projection"]
        if projection == "*":
            results: list[Any] = docs
        elif aggregate := re.match(r"^VALUE (MIN|MAX)\(c\.(\w+)\)$", projection):
            values = [d[aggregate[2]] for d in docs if d.get(aggregate[2]) is not None]
            results = [(min if aggregate[1] == "MIN" else max)(values)] if values else []
        elif projection.startswith("DISTINCT "):
            columns = [c.strip().removeprefix("c.") for c in projection.removeprefix("DISTINCT ").split(",")]
            seen: dict[tuple[Any, ...], dict[str, Any]] = {}
            for d in docs:
                seen.setdefault(tuple(d.get(c) for c in columns), {c: d.get(c) for c in columns})
            results = list(seen.values())
        else:
            raise AssertionError(f"unexpected projection: {projection}")
        return self._pages(results)

    def _pages(self, results: list[Any]) -> Iterator[Any]:
        for start in range(0, len(results), self.page_size):
            yield from results[start:start + self.page_size]

    def upsert_item(self, body: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        self.calls.append(SdkCall("upsert_item", kwargs={"body": body, **kwargs}))
        json.dumps(body)  # what the SDK sends must be plain JSON
        self.documents[body["id"]] = dict(body)
        return dict(body)
