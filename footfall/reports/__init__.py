"""Local reports: the DuckDB report database, the reports API and the web dashboard.

The report logic (models, aggregation with k-anonymity, Cosmos DB adapter) lives in
:mod:`functions.reports` so that the Functions app deploys it; this package adds what runs
only on a developer machine.
"""
