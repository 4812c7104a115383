"""The footfall Functions app (Python v2 programming model): every blueprint in ``functions/blueprints``.

* ``analyze_upload`` (blob trigger): upload → face service → anonymized FrameEvent → sink.
* ``redrive_uploads`` (timer): photos left in ``uploads`` (deferred, poisoned) are written again once
  the dependencies answer, so an outage loses nothing.
* ``reports_filters`` / ``reports_report`` (HTTP): the reports API over Cosmos DB.
* ``relay_counts`` (Event Hubs trigger, when ``FOOTFALL_COUNTS_RELAY_SOURCE`` is set): CountEvents to the
  stream job's hub, each once however late a copy comes.
"""

import azure.functions as func

from functions.blueprints import counts, redrive
from functions.blueprints.ingest import bp as ingest_bp
from functions.blueprints.reports import bp as reports_bp
from functions.telemetry import configure_telemetry

# Azure Monitor when the platform sets APPLICATIONINSIGHTS_CONNECTION_STRING (function.tf), else as
# FOOTFALL_TELEMETRY says (console locally, none by default).
configure_telemetry()

app = func.FunctionApp()
app.register_functions(ingest_bp)
app.register_functions(redrive.blueprint())  # built now: its schedule is read at indexing
app.register_functions(reports_bp)
app.register_functions(counts.blueprint())  # relay_counts only where its source hub is set
