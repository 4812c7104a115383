"""How the edge module's tools report input that does not validate: each error's place and message,
never the input itself (it could be a registry password or a camera's password)."""

from __future__ import annotations

from pydantic import ValidationError


def without_input(exc: ValidationError) -> str:
    """``place: message`` of every error, joined by ``; `` (``file`` for the whole input), without the input."""
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'file'}: {e['msg']}" for e in exc.errors(include_input=False))
