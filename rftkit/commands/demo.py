"""`python -m rftkit demo`: run the job notebook end to end (locally, or on Azure with Azure settings and --submit)."""

from __future__ import annotations

import argparse
from pathlib import Path

from rftkit import REPO_ROOT


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="run the job notebook end to end against the local app and stand-in")
    p.add_argument("--output-dir", type=Path, default=REPO_ROOT / "out" / "demo",
                   help="where the executed notebook and summary.json go (default: out/demo)")
    p.add_argument("--cell-timeout", type=float, default=900.0, help="seconds per notebook cell")
    p.add_argument("--step-delay", type=float, default=0.5, help="stand-in: seconds between a dry-run job's steps")
    p.add_argument("--error-rate", type=float, default=0.25,
                   help="stand-in: share of rollouts in which the scripted policy errs (so rewards vary)")
    p.add_argument("--submit", action="store_true",
                   help="with Azure settings: upload the files and create the REAL jobs (billed per hour of "
                        "training); without it the run stops after the preflight. Not needed for the stand-in")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rftkit.notebook.demo import run_demo

    return run_demo(args.output_dir, cell_timeout=args.cell_timeout, step_delay=args.step_delay,
                    error_rate=args.error_rate, submit=args.submit)
