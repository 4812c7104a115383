"""``python -m footfall.powerbi generate | check``: write the Power BI project, or read it back and check it."""

from __future__ import annotations

import argparse
import sys

from footfall.powerbi.model import DEFINITION_DIR, POWERBI_DIR, REPORT_DEFINITION_DIR, document_mismatches
from footfall.powerbi.project import write
from footfall.powerbi.report import missing_fields
from footfall.powerbi.tmdl import check, read_model
from functions.contracts import DEFAULT_K


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m footfall.powerbi", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    generate = sub.add_parser("generate", help="write powerbi/ from the contracts and the reference data")
    generate.add_argument("--k", type=int, default=DEFAULT_K,
                          help="the default of the model parameter K (the committed project uses DEFAULT_K)")
    sub.add_parser("check", help="read the TMDL back and list every broken reference")
    args = parser.parse_args(argv)
    if args.command == "generate":
        if args.k < 2:
            parser.error("--k must be at least 2")
        for path in write(POWERBI_DIR, args.k):
            print(f"wrote {path.relative_to(POWERBI_DIR.parent)}")
        return 0
    model = read_model(DEFINITION_DIR)
    problems = check(model) + document_mismatches(model) + missing_fields(REPORT_DEFINITION_DIR, model)
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"{len(problems)} problem(s) in {POWERBI_DIR.relative_to(POWERBI_DIR.parent)}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
