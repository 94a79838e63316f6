"""A local stand-in of the Azure OpenAI v1 API (files, fine-tuning jobs, alpha graders) for running the notebook
without an Azure account. Jobs run a dry run that trains nothing: see `dryrun.py`.

    create_standin_app(config) -> FastAPI         the ASGI app (API under /openai/v1/, liveness at /health)
    StandinServer(config, host, port)             on a background thread: .start()/.stop() or `with`; .url, .client()
    run_standin(host, port, config, on_ready)     blocking, for `python -m rftkit standin`
"""

from __future__ import annotations

from rftkit.standin.app import API_PREFIX, create_standin_app
from rftkit.standin.config import StandinConfig
from rftkit.standin.server import StandinServer, run_standin

__all__ = ["API_PREFIX", "StandinConfig", "StandinServer", "create_standin_app", "run_standin"]
