"""A Face-API-compatible face service on open offline models.

``python -m face_service --host 127.0.0.1 --port 5000`` serves ``GET /status`` and
``POST /face/{v1.0|v1.2|v1.2-preview.1}/detect``; see ``face_service/README.md``.
"""

__version__ = "1.1.0"
