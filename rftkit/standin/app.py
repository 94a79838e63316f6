"""`create_standin_app()`: the stand-in's FastAPI app, the part of the Azure OpenAI v1 API that RFT jobs use."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from rftkit.standin.config import StandinConfig
from rftkit.standin.errors import StandinError, api_error_handler, http_error_handler, validation_error_handler
from rftkit.standin.routes import files, graders, jobs
from rftkit.standin.state import StandinState

API_PREFIX = "/openai/v1"
DESCRIPTION = """A local stand-in of the Azure OpenAI v1 API for reinforcement fine-tuning: files, fine-tuning jobs
(which run a dry run that trains nothing) and the alpha graders endpoints. State is in memory; any api key works."""


def create_standin_app(config: StandinConfig | None = None) -> FastAPI:
    state = StandinState(config or StandinConfig())

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await state.shutdown()

    app = FastAPI(title="Azure OpenAI v1 stand-in (fine-tuning)", description=DESCRIPTION, lifespan=lifespan)
    app.state.standin = state
    for router in (files.router, jobs.router, graders.router):
        app.include_router(router, prefix=API_PREFIX)

    @app.get("/health", tags=["health"])
    async def health() -> dict[str, Any]:
        return {"status": "ok", "files": len(state.files), "jobs": len(state.jobs)}

    app.add_exception_handler(StandinError, api_error_handler)
    app.add_exception_handler(StarletteHTTPException, http_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    return app
