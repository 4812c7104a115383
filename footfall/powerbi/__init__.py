"""The Power BI project (``powerbi/``): a TMDL semantic model over the Cosmos DB history and a PBIR report.

* :mod:`footfall.powerbi.model` writes the semantic model's TMDL from :mod:`functions.aggregates` (the
  documents the job writes), :mod:`functions.contracts` (categories, ``DEFAULT_K``), the reference data
  (``stream_analytics/stores.csv``, ``cameras.csv``) and the access groups (``powerbi/access_groups.csv``).
* :mod:`footfall.powerbi.report` writes the report's PBIR pages and visuals.
* :mod:`footfall.powerbi.tmdl` reads TMDL back and checks every reference a measure, a role, a
  relationship, a hierarchy or a visual makes.

``python -m footfall.powerbi generate`` rewrites the project; ``python -m footfall.powerbi check`` reads
it back and lists what is broken. Tests fail when the committed project is stale.
"""
