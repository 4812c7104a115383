"""The footfall Functions app (Python v2 programming model): blueprints registered here."""

import azure.functions as func

from functions.blueprints.ingest import bp as ingest_bp

app = func.FunctionApp()
app.register_functions(ingest_bp)
