"""Settings from `.env` (python-dotenv) and the environment, and the OpenAI client built from them.

Values still holding a `.env.example` placeholder (`<...>`) count as unset, so a copied but unfilled `.env`
behaves like no `.env`: the notebook then runs against the local stand-in (`STANDIN_URL`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from dotenv import dotenv_values, find_dotenv

from . import REPO_ROOT
from .jobs import JOB_A_MODEL, JOB_B_MODEL

if TYPE_CHECKING:
    from openai import OpenAI

_PLACEHOLDER = re.compile(r"<[^<>]*>")
_API_PATH = "/openai/v1"
STANDIN_API_KEY = "local-standin"  # the stand-in accepts any key; the SDK insists on one


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    azure_openai_endpoint: str | None = None
    azure_openai_api_key: str | None = None
    tool_base_url: str | None = None  # TOOL_BASE_URL, else https://$FUNC_APP_NAME.azurewebsites.net
    func_key: str | None = None
    job_a_model: str = JOB_A_MODEL
    job_b_model: str = JOB_B_MODEL
    standin_url: str | None = None  # a running stand-in (http://127.0.0.1:PORT), used without Azure settings

    @property
    def uses_azure(self) -> bool:
        return self.azure_openai_endpoint is not None

    @property
    def endpoint(self) -> str | None:
        """Where the client goes: the Azure endpoint, else the stand-in, else None."""
        return self.azure_openai_endpoint or self.standin_url

    @property
    def openai_base_url(self) -> str:
        if not self.endpoint:
            raise SettingsError("AZURE_OPENAI_ENDPOINT is not set (nor STANDIN_URL): set it in .env, or start the "
                                "local stand-in with `python -m rftkit standin` and set STANDIN_URL")
        return f"{self.endpoint.rstrip('/')}/openai/v1/"

    @property
    def tool_headers(self) -> dict[str, str] | None:
        """The job's tools[].headers: the Functions key when one is set."""
        return {"X-Functions-Key": self.func_key} if self.func_key else None


def _value(values: Mapping[str, str | None], name: str) -> str | None:
    value = values.get(name)
    if value is None:
        return None
    value = value.strip()
    return None if not value or _PLACEHOLDER.search(value) else value


def _endpoint(value: str | None) -> str | None:
    """An endpoint without a trailing slash or API path, so pasting `.../openai/v1/` does not double it."""
    if value is None:
        return None
    value = value.rstrip("/")
    return value[: -len(_API_PATH)] if value.endswith(_API_PATH) else value


def _env_file(env_file: str | Path | None) -> Path | None:
    if env_file is not None:
        return Path(env_file)
    found = find_dotenv(usecwd=True)  # the notebook runs from notebooks/: search upwards from the cwd
    if found:
        return Path(found)
    default = REPO_ROOT / ".env"
    return default if default.is_file() else None


def load_settings(env_file: str | Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Read `.env` (found from the cwd upwards, else the repo's) under the environment, which wins."""
    path = _env_file(env_file)
    values: dict[str, str | None] = dict(dotenv_values(path)) if path and path.is_file() else {}
    values.update(os.environ if environ is None else environ)
    tool_base_url = _value(values, "TOOL_BASE_URL")
    app_name = _value(values, "FUNC_APP_NAME")
    if tool_base_url is None and app_name is not None:
        tool_base_url = f"https://{app_name}.azurewebsites.net"
    return Settings(
        azure_openai_endpoint=_endpoint(_value(values, "AZURE_OPENAI_ENDPOINT")),
        azure_openai_api_key=_value(values, "AZURE_OPENAI_API_KEY"),
        tool_base_url=tool_base_url.rstrip("/") if tool_base_url else None,
        func_key=_value(values, "FUNC_KEY"),
        job_a_model=_value(values, "JOB_A_MODEL") or JOB_A_MODEL,
        job_b_model=_value(values, "JOB_B_MODEL") or JOB_B_MODEL,
        standin_url=_endpoint(_value(values, "STANDIN_URL")),
    )


# `client.fine_tuning.alpha.graders` and `jobs.pause/resume` first appear in openai 1.78.0 (its CHANGELOG).
MIN_OPENAI_VERSION = (1, 78)


class OpenAIVersionError(RuntimeError):
    """The installed `openai` package predates what the toolkit calls."""


def require_openai_version(version: str | None = None) -> None:
    """Raise `OpenAIVersionError` if `version` (default: the installed openai's) is older than 1.78."""
    if version is None:
        import openai

        version = openai.__version__
    found = tuple(int(part) for part in re.findall(r"\d+", version)[:2])
    if found < MIN_OPENAI_VERSION:
        needed = ".".join(map(str, MIN_OPENAI_VERSION))
        raise OpenAIVersionError(
            f"openai {version} is too old: the toolkit needs openai>={needed}, where client.fine_tuning.alpha.graders "
            f"and fine_tuning.jobs.pause/resume first appear. Upgrade it: pip install 'openai>={needed}'")


def make_client(settings: Settings, **client_options: object) -> OpenAI:
    """`OpenAI(base_url=<endpoint>/openai/v1/, api_key=...)` for Azure or, without Azure settings, the stand-in.

    Raises `OpenAIVersionError` if the installed openai package is older than 1.78."""
    from openai import OpenAI

    require_openai_version()

    if settings.uses_azure and not settings.azure_openai_api_key:
        raise SettingsError("AZURE_OPENAI_API_KEY is not set but AZURE_OPENAI_ENDPOINT is")
    api_key = settings.azure_openai_api_key if settings.uses_azure else STANDIN_API_KEY
    return OpenAI(base_url=settings.openai_base_url, api_key=api_key, **client_options)
