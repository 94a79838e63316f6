"""`python -m rftkit standin`: a local stand-in of the Azure OpenAI v1 API (files, fine-tuning jobs, graders).

Prints `rftkit standin ready: <base_url>` once it accepts connections (`--port 0` picks a free port).
Stops gracefully on Ctrl-C (exit 130) or SIGTERM (uvicorn then re-raises it: the exit status says "terminated").
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from rftkit.jobs.rules import LOOPBACK_HOSTS

if TYPE_CHECKING:
    from rftkit.standin import StandinConfig


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("standin", help="serve a local stand-in of the Azure OpenAI v1 fine-tuning API",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1", help="bind address (default: loopback only)")
    p.add_argument("--port", type=int, default=8765, help="port (0 = a free one; default 8765)")
    p.add_argument("--steps", type=int, default=3, help="metrics steps per dry-run job (default 3)")
    p.add_argument("--step-delay", type=float, default=0.0,
                   help="seconds between dry-run steps, to try pause/resume/cancel (default 0)")
    p.add_argument("--policy-error-rate", type=float, default=0.0,
                   help="share of rollouts in which the scripted policy errs on purpose (default 0)")
    p.add_argument("--allow-any-model", action="store_true",
                   help="run jobs for models Azure does not support for RFT (experiments; default: refuse them)")
    p.add_argument("--log-level", default="warning", choices=["critical", "error", "warning", "info", "debug"])
    p.set_defaults(func=run)


def config_from(args: argparse.Namespace) -> StandinConfig:
    from rftkit.standin import StandinConfig

    return StandinConfig(steps=args.steps, step_delay=args.step_delay, policy_error_rate=args.policy_error_rate,
                         allow_any_model=args.allow_any_model)


def run(args: argparse.Namespace) -> int:
    from rftkit.standin import run_standin

    if args.host not in LOOPBACK_HOSTS:
        print(f"warning: serving on {args.host}: the stand-in has no authentication and keeps uploads in memory",
              file=sys.stderr)
    config = config_from(args)

    def ready(url: str) -> None:
        print(f"rftkit standin ready: {url}/openai/v1/", flush=True)

    try:
        run_standin(args.host, args.port, config, on_ready=ready, log_level=args.log_level)
    except KeyboardInterrupt:  # uvicorn shut down gracefully, then re-raised Ctrl-C: no traceback for that
        return 130
    return 0
