"""``python -m edge_module`` (the container's entry point) and ``footfall edge``."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path

from pydantic import ValidationError

from edge_module.app import EdgeModule
from edge_module.camera import FrameSource, open_source
from edge_module.config import load_settings
from edge_module.hub import Hub


def main(argv: list[str]) -> int:
    """Run the module until the camera source ends or SIGTERM/SIGINT arrives."""
    parser = argparse.ArgumentParser(
        prog="footfall edge",
        description="footfall's IoT Edge module: detect, track and count people; CountEvents and visit crops out.",
    )
    parser.add_argument("--config", type=Path, default=None, help="JSON config file (env FOOTFALL_* wins over it)")
    parser.add_argument("--source", default=None, help="override the camera source (URL, file, folder, device)")
    parser.add_argument("--max-frames", type=int, default=None, help="stop after this many frames")
    parser.add_argument("--step", type=int, default=1, help="video files: keep every N-th frame")
    parser.add_argument("--drain-timeout", type=float, default=10.0, help="seconds to wait for uploads on exit")
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    log = logging.getLogger("edge_module")
    logging.getLogger("azure").setLevel(logging.WARNING)  # the SDK logs every HTTP request at INFO

    try:
        settings = load_settings(args.config)
    except (ValidationError, ValueError, OSError) as exc:
        print(f"footfall edge: invalid configuration: {exc}", file=sys.stderr)
        return 2
    if args.source is not None:
        settings = settings.model_copy(update={"source": args.source})
    hub = Hub.connect(settings)
    module = EdgeModule(settings, hub=hub)
    stop = threading.Event()
    sources: list[FrameSource] = []

    def _terminate(signum: int, _frame: object) -> None:
        log.info("signal %d: stopping", signum)
        stop.set()
        for opened in sources:
            opened.close()

    previous = {sig: signal.signal(sig, _terminate) for sig in (signal.SIGTERM, signal.SIGINT)}
    module.start()  # reads the module twin: under IoT Edge the store's cameras come from there
    several = bool(module.live.cameras) and args.source is None
    source = None if several else open_source(settings.source, step=args.step)
    if source is not None:
        sources.append(source)
    try:
        if source is None:  # the configured cameras, each from its own source, one thread each
            summaries = module.run_all(stop, step=args.step, max_frames=args.max_frames)
        else:
            summaries = [module.run(source, max_frames=args.max_frames, stop=stop)]
    finally:
        module.stop(drain_timeout_s=args.drain_timeout)
        hub.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    for summary in summaries:
        log.info("done: %s", summary.model_dump())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
