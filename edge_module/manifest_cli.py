"""``footfall edge-manifest``: the fleet's IoT Edge deployment, rendered, exactly as the deploy workflow applies it.

With no argument it renders example values, so anyone can inspect and validate the deployment on a
fresh clone. The workflow gives the real values (arguments, and the registry password through the
environment: ``FOOTFALL_EDGE_REGISTRY_PASSWORD``) with ``--strict``, and ``--github-output`` hands
it the deployment's id, priority, target condition and labels for ``az iot edge deployment create``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from pydantic import SecretStr, ValidationError

from edge_module.deployment import (
    MODULE_NAME,
    TARGET_CONDITION,
    EdgeDeploymentSettings,
    deployment_id,
    deployment_labels,
    priority,
    render_deployment,
)
from edge_module.validation_errors import without_input

SECRET_FIELDS = frozenset(name for name, f in EdgeDeploymentSettings.model_fields.items() if f.annotation is SecretStr)
"""Given only through the environment, never on a command line (visible to every process)."""


def _parser() -> argparse.ArgumentParser:
    env_prefix = EdgeDeploymentSettings.model_config.get("env_prefix", "")
    parser = argparse.ArgumentParser(
        prog="footfall edge-manifest",
        description="Render the IoT Edge at-scale deployment of every store (az iot edge deployment create --content). "
        f"Secrets come from the environment: {', '.join(sorted(env_prefix + s.upper() for s in SECRET_FIELDS))}.",
    )
    parser.add_argument("--out", type=Path, default=None, help="write the deployment here (default: standard output)")
    for name, field in EdgeDeploymentSettings.model_fields.items():
        if name not in SECRET_FIELDS:
            parser.add_argument(f"--{name.replace('_', '-')}", dest=name, default=None,
                                help=f"{field.description} (env {env_prefix}{name.upper()}; example: {field.default})")
    parser.add_argument("--strict", action="store_true",
                        help="refuse example values for the registry, its credentials, the image tag and storage")
    parser.add_argument("--github-output", type=Path, default=None,
                        help="append deployment_id, priority, target_condition and labels here ($GITHUB_OUTPUT)")
    return parser


def main(argv: list[str]) -> int:
    """Render, check and write the deployment; 2 on invalid or (with ``--strict``) example values."""
    args = _parser().parse_args(argv)
    given = {name: value for name, value in vars(args).items()
             if name in EdgeDeploymentSettings.model_fields and value is not None}
    try:
        settings = EdgeDeploymentSettings(**given)
        if args.strict and (examples := settings.examples_left()):
            raise ValueError(f"--strict: no value given for {', '.join(examples)}")
        deployment = render_deployment(settings)
    except ValidationError as exc:  # without the input: it could be a secret
        print(f"footfall edge-manifest: {without_input(exc)}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"footfall edge-manifest: {exc}", file=sys.stderr)
        return 2

    text = json.dumps(deployment, indent=2) + "\n"
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        # The content carries the registry password: readable by its owner only.
        fd = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
    now = datetime.now(UTC)
    if args.github_output is not None:
        with args.github_output.open("a", encoding="utf-8") as f:
            f.write(f"deployment_id={deployment_id(now)}\npriority={priority(now)}\n"
                    f"target_condition={TARGET_CONDITION}\n"
                    f"labels={json.dumps(deployment_labels(settings), separators=(',', ':'))}\n")
    examples = settings.examples_left()
    print(f"footfall edge-manifest: {args.out or 'stdout'}: $edgeAgent, $edgeHub and {MODULE_NAME} "
          f"({settings.image}) for every device where {TARGET_CONDITION}"
          + (f"; example values for {', '.join(examples)}" if examples else ""), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
