"""Blueprints registered by ``function_app.py``. Each is thin: it hands the trigger's data to plain code."""
