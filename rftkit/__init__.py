"""rftkit: the client-side toolkit for agentic RFT on Azure OpenAI (data, jobs, preflight, stand-in).

It may import the deployed app's domain modules (`catalog_tools`) so data and tool never drift apart;
the app never imports rftkit.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
FUNCTION_APP_DIR = REPO_ROOT / "function_app"
DATA_DIR = REPO_ROOT / "data"

try:  # installed with `pip install -e .`; otherwise run from a checkout
    import catalog_tools  # noqa: F401
except ImportError:  # pragma: no cover - depends on how the repo was installed
    sys.path.insert(0, str(FUNCTION_APP_DIR))

__version__ = "0.1.0"
