"""Reports over the Stream Analytics window aggregates, deployable with the Functions app.

* :mod:`.models` - window rows, query parameters and response payloads (Pydantic);
* :mod:`.reader` - the :class:`ReportReader` protocol every backing store implements;
* :mod:`.rollup` - store-local days, occupancy and dwell from the doors, daily store rollups;
* :mod:`.service` - series in store-local time, periods, comparisons, busiest times, rankings, with
  k-anonymity re-applied;
* :mod:`.access` - Entra ID groups to regions and stores (App Service authentication);
* :mod:`.http` - every view of the API as JSON or CSV, for FastAPI and the Functions blueprint alike;
* :mod:`.cosmos` - the Cosmos DB reader/writer (``azure-cosmos``) and the daily rollup of ended days.

The local DuckDB store and the dashboard live in ``footfall.reports`` and import from here.
"""
