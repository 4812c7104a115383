"""``python -m face_service`` / ``footfall face-service``: serve the Face-API-compatible service."""

from __future__ import annotations

import argparse
import logging
import sys

from face_service import __version__


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and serve until SIGINT/SIGTERM."""
    parser = argparse.ArgumentParser(
        prog="face-service",
        description="Face-API-compatible face detection with age, gender, emotion and head pose, on offline models.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=5000, help="port (default 5000)")
    parser.add_argument("--workers", type=int, default=None,
                        help="model worker processes (default FOOTFALL_FACE_WORKERS, else one per core)")
    parser.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    parser.add_argument("--version", action="version", version=f"face-service {__version__}")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if not 0 < args.port < 65536:
        parser.error(f"--port must be 1..65535, got {args.port}")

    import uvicorn
    from pydantic import ValidationError

    from face_service.app import create_app
    from face_service.config import ServiceSettings
    from face_service.http_guard import guarded_protocol
    from face_service.telemetry import TelemetrySettings, configure_exporters, instrument

    try:
        overrides = {"workers": args.workers} if args.workers is not None else {}
        settings = ServiceSettings(**overrides)
        telemetry = TelemetrySettings()
    except ValidationError as exc:
        print(f"face-service: invalid settings:\n{exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    configure_exporters(telemetry)
    app = create_app(settings)
    instrument(app)
    uvicorn.run(
        app, host=args.host, port=args.port, log_level=args.log_level,
        access_log=False, timeout_graceful_shutdown=10,
        http=guarded_protocol(settings), timeout_keep_alive=settings.keep_alive_s,
        limit_concurrency=settings.max_connections,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
