"""`python -m rftkit smoke`: POST the service's tool wrapper and grader request to the deployed endpoints.

Reads TOOL_BASE_URL (else FUNC_APP_NAME) and FUNC_KEY from `.env` and the environment, like the notebook.
Exit 0 when both endpoints answer as the training service needs, 1 when they do not, 2 on a settings error.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

RETRY_SECONDS = 5.0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("smoke", help="smoke-test the tool and grader endpoints of a deployed app",
                       description=__doc__)
    p.add_argument("--base-url", help="the app's base URL (default: TOOL_BASE_URL, else "
                                      "https://$FUNC_APP_NAME.azurewebsites.net)")
    p.add_argument("--tool-key", help="the tool endpoint's key (default: FUNC_KEY; the environment variable keeps "
                                      "it out of the process list)")
    p.add_argument("--env-file", type=Path, help="the .env to read (default: found from the cwd upwards)")
    p.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                   help="keep retrying this long while the app is not ready (a fresh deployment is starting)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import httpx

    from rftkit import REPO_ROOT
    from rftkit.notebook import NotebookSession, smoke_test_endpoints
    from rftkit.settings import SettingsError, load_settings

    try:
        settings = load_settings(args.env_file)
    except (SettingsError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    base_url = (args.base_url or settings.tool_base_url or "").rstrip("/")
    if not base_url:
        print("error: no tool base URL: set TOOL_BASE_URL (or FUNC_APP_NAME) in .env, or pass --base-url",
              file=sys.stderr)
        return 2
    if not base_url.startswith(("http://", "https://")):
        print(f"error: the tool base URL must start with https:// (or http://), got {base_url!r}", file=sys.stderr)
        return 2
    settings = settings.model_copy(update={"tool_base_url": base_url, "func_key": args.tool_key or settings.func_key})
    # Only the endpoints are used: no OpenAI client, nothing started locally.
    session = NotebookSession(settings, client=None, tool_base_url=base_url, local=False,
                              output_dir=REPO_ROOT / "out")
    deadline = time.monotonic() + max(0.0, args.wait)
    while True:
        try:
            results = smoke_test_endpoints(session)
        except (RuntimeError, httpx.HTTPError) as exc:
            problem = str(exc) or type(exc).__name__
            if time.monotonic() + RETRY_SECONDS > deadline:
                print(f"smoke test FAILED against {base_url}: {problem}", file=sys.stderr)
                return 1
            print(f"not ready yet ({problem}); retrying in {RETRY_SECONDS:.0f} s", file=sys.stderr)
            time.sleep(RETRY_SECONDS)
            continue
        for result in results:
            print(f"{result['endpoint']:<7} {result['status']}  {result['ms']:>7.1f} ms  {result['url']}")
        print(f"smoke test passed: {base_url}")
        return 0
