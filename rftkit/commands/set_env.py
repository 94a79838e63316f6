"""`python -m rftkit set-env`: set variables in `.env` in place, keeping the file's other lines (used by azd hooks)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("set-env", help="set NAME=VALUE lines in .env in place, keeping every other line",
                       description=__doc__)
    p.add_argument("assignments", nargs="+", metavar="NAME[=VALUE]",
                   help="NAME=VALUE, or NAME alone to take the value of the environment variable NAME "
                        "(keeps secrets off the command line)")
    p.add_argument("--file", type=Path, default=None, help="the .env file to update (default: the repository's)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rftkit import REPO_ROOT
    from rftkit.util.envfile import update_env_file

    try:
        updates = parse_assignments(args.assignments, os.environ)
        path = args.file or REPO_ROOT / ".env"
        update_env_file(path, updates)
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{path}: set {', '.join(updates)}")  # names only: values may be keys
    return 0


def parse_assignments(assignments: list[str], environ: dict[str, str] | os._Environ) -> dict[str, str]:
    """{name: value} from `NAME=VALUE` and `NAME` (taken from `environ`, which must hold a non-empty value)."""
    updates: dict[str, str] = {}
    for assignment in assignments:
        name, sep, value = assignment.partition("=")
        if not sep:
            value = environ.get(name, "")
            if not value:
                raise ValueError(f"{name} is not set in the environment (give {name}=VALUE instead)")
        updates[name] = value
    return updates
