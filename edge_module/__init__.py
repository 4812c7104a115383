"""footfall's IoT Edge module: person detection at the store, opening hours, store-and-forward uploads.

Run it with ``python -m edge_module`` (the container) or ``footfall edge`` (locally).
"""

__version__ = "0.1.0"
