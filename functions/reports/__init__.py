"""Reports over the Stream Analytics window aggregates, deployable with the Functions app.

* :mod:`.models` - window rows, query parameters and response payloads (Pydantic);
* :mod:`.reader` - the :class:`ReportReader` protocol every backing store implements;
* :mod:`.service` - aggregation over a range with k-anonymity re-applied;
* :mod:`.cosmos` - the Cosmos DB reader/writer (``azure-cosmos``);
* :mod:`.settings` - environment settings.

The local DuckDB store and the dashboard live in ``footfall.reports`` and import from here.
"""
