"""``footfall``: one command for the local stack. Each subcommand lives in its own module.

Subcommand modules expose ``main(argv: list[str]) -> int`` and are imported only when used,
so ``footfall asa test`` does not load the face models.
"""

from __future__ import annotations

import importlib
import sys

COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("footfall.demo", "run the whole pipeline on this machine and serve the dashboard"),
    "face-service": ("face_service.__main__", "the Face-API-compatible service on open offline models"),
    "host": ("footfall.host.cli", "local trigger host: runs analyze_upload on Azurite's uploads container"),
    "asa": ("footfall.asa.cli", "run or test the Stream Analytics job on the local engine"),
    "dashboard": ("footfall.dashboard", "serve the reports API and web dashboard"),
    "simulate": ("footfall.simulate.cli", "upload a simulated day of camera photos"),
    "azurite": ("footfall.azurite", "start Azurite (Blob Storage emulator) on loopback"),
    "edge": ("edge_module.__main__", "run the IoT Edge module locally"),
    "count": ("edge_module.count_cli", "detection, tracking and counting over a video or folder, offline"),
    "edge-manifest": ("edge_module.manifest_cli", "the IoT Edge deployment of every store, rendered (--out FILE)"),
    "edge-store": ("edge_module.store_cli", "a store's device twin tags and module twin cameras, for onboarding"),
}


def _usage() -> str:
    width = max(map(len, COMMANDS))
    lines = ["usage: footfall <command> [options]", "", "commands:"]
    lines += [f"  {name.ljust(width)}  {help_}" for name, (_, help_) in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Dispatch ``footfall <command> ...`` to the command's module."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help", "help"}:
        print(_usage())
        return 0
    name, rest = args[0], args[1:]
    if name not in COMMANDS:
        print(f"footfall: unknown command {name!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[name][0])
    return int(module.main(rest) or 0)


if __name__ == "__main__":
    sys.exit(main())
