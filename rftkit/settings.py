"""Settings from `.env` and the environment (pydantic-settings, as the app's), and the OpenAI client built from them.

Values still holding a `.env.example` placeholder (`<...>`) count as unset, so a copied but unfilled `.env`
behaves like no `.env`: the notebook then runs against the local stand-in (`STANDIN_URL`).

On Azure the client signs in with `AZURE_OPENAI_API_KEY` when it is set, else keyless with Microsoft Entra ID
(azure-identity's `DefaultAzureCredential`: `az login` locally, a managed identity in Azure), which needs the
"Cognitive Services OpenAI User" role on the resource.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dotenv import find_dotenv
from pydantic import Field, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict
from pydantic_settings.sources.utils import parse_env_vars

from catalog_tools.config import SHIPPED_CATALOG
from rftkit import DATA_DIR, REPO_ROOT
from rftkit.jobs.builders import JOB_A_MODEL, JOB_B_MODEL

if TYPE_CHECKING:
    from openai import AsyncOpenAI, OpenAI

_PLACEHOLDER = re.compile(r"<[^<>]*>")
_API_PATH = "/openai/v1"
STANDIN_API_KEY = "local-standin"  # the stand-in accepts any key; the SDK insists on one
ENTRA_SCOPE = "https://cognitiveservices.azure.com/.default"  # the token audience of Azure OpenAI / Foundry
# The variables `load_settings` reads from, while it runs: unset, a directly built ToolkitSettings(...) takes only
# its arguments (as a plain value object), never the process environment.
_ENVIRON: ContextVar[Mapping[str, str] | None] = ContextVar("rftkit_settings_environ", default=None)
# The committed datasets, made from the app's shipped catalog (catalog_tools.config.SHIPPED_CATALOG).
SHIPPED_TRAIN_FILE = DATA_DIR / "train_tool.jsonl"
SHIPPED_VALID_FILE = DATA_DIR / "valid_tool.jsonl"
_PATH_SETTINGS = ("catalog_path", "train_file", "valid_file")


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


class _EnvironSource(EnvSettingsSource):
    """Environment variables from a given mapping (the process environment, or a test's)."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]):
        self._environ = environ
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return parse_env_vars(self._environ, self.case_sensitive, self.env_ignore_empty, self.env_parse_none_str)


class ToolkitSettings(BaseSettings):
    """The toolkit's settings; names match the variables case-insensitively (e.g. `AZURE_OPENAI_ENDPOINT`)."""

    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False, frozen=True)

    azure_openai_endpoint: str | None = None
    azure_openai_api_key: str | None = Field(default=None, repr=False)  # secrets stay out of reprs and logs
    tool_base_url: str | None = None  # TOOL_BASE_URL, else https://$FUNC_APP_NAME.azurewebsites.net
    func_app_name: str | None = None
    func_key: str | None = Field(default=None, repr=False)
    job_a_model: str = JOB_A_MODEL
    job_b_model: str = JOB_B_MODEL
    standin_url: str | None = None  # a running stand-in (http://127.0.0.1:PORT), used without Azure settings
    # CATALOG_PATH: the app's own setting (catalog_tools.config), which every toolkit command honours too.
    catalog_path: Path = SHIPPED_CATALOG
    catalog_path_set: bool = False  # CATALOG_PATH was given (environment or .env), even if it names the shipped one
    train_file: Path = SHIPPED_TRAIN_FILE  # TRAIN_FILE
    valid_file: Path = SHIPPED_VALID_FILE  # VALID_FILE
    data_files_set: bool = False  # TRAIN_FILE or VALID_FILE was given (environment or .env)

    @property
    def custom_catalog(self) -> bool:
        """CATALOG_PATH names another catalog than the one the app ships."""
        return self.catalog_path.resolve() != SHIPPED_CATALOG.resolve()

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource,
                                   dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource,
                                   ) -> tuple[PydanticBaseSettingsSource, ...]:
        environ = _ENVIRON.get()
        if environ is None:
            return (init_settings,)
        return init_settings, _EnvironSource(settings_cls, environ), dotenv_settings  # the environment wins

    @field_validator("*", mode="before")
    @classmethod
    def _unset_placeholders(cls, value: Any) -> Any:
        """Blank values and `.env.example` placeholders (`<...>`) count as unset."""
        if isinstance(value, str):
            value = value.strip()
            return None if not value or _PLACEHOLDER.search(value) else value
        return value

    @field_validator("job_a_model", "job_b_model", mode="before")
    @classmethod
    def _default_model(cls, value: Any, info: ValidationInfo) -> Any:
        value = cls._unset_placeholders(value)
        return value if value is not None else cls.model_fields[str(info.field_name)].default

    @field_validator("azure_openai_endpoint", "standin_url")
    @classmethod
    def _endpoint(cls, value: str | None) -> str | None:
        """An endpoint without a trailing slash or API path, so pasting `.../openai/v1/` does not double it."""
        if value is None:
            return None
        value = value.rstrip("/")
        return value[: -len(_API_PATH)] if value.endswith(_API_PATH) else value

    @model_validator(mode="after")
    def _tool_base_url(self) -> ToolkitSettings:
        url = self.tool_base_url or (f"https://{self.func_app_name}.azurewebsites.net" if self.func_app_name else None)
        object.__setattr__(self, "tool_base_url", url.rstrip("/") if url else None)  # frozen: set once, here
        return self

    @property
    def uses_azure(self) -> bool:
        return self.azure_openai_endpoint is not None

    @property
    def auth(self) -> str:
        """How the client authenticates, in words (never the key itself)."""
        if not self.uses_azure:
            return "none (the local stand-in accepts any key)"
        return "API key" if self.azure_openai_api_key else "Microsoft Entra ID (keyless, DefaultAzureCredential)"

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


def _env_file(env_file: str | Path | None) -> Path | None:
    if env_file is not None:
        return Path(env_file)
    found = find_dotenv(usecwd=True)  # the notebook runs from notebooks/: search upwards from the cwd
    if found:
        return Path(found)
    default = REPO_ROOT / ".env"
    return default if default.is_file() else None


def load_settings(env_file: str | Path | None = None, environ: Mapping[str, str] | None = None) -> ToolkitSettings:
    """Read `.env` (found from the cwd upwards, else the repo's) under the environment (`environ`, default the
    process's), which wins. Relative paths (CATALOG_PATH, TRAIN_FILE, VALID_FILE) are relative to the `.env` folder
    when they came from `.env`, else to the cwd."""
    path = _env_file(env_file)
    env_path = path if path and path.is_file() else None
    environ = os.environ if environ is None else environ
    token = _ENVIRON.set(environ)
    try:
        settings = ToolkitSettings(_env_file=env_path)  # type: ignore[call-arg]
    finally:
        _ENVIRON.reset(token)
    from_environ = {name.upper() for name in environ}
    updates: dict[str, Any] = {"catalog_path_set": "catalog_path" in settings.model_fields_set,
                               "data_files_set": bool({"train_file", "valid_file"} & settings.model_fields_set)}
    for field in _PATH_SETTINGS:
        value = getattr(settings, field).expanduser()
        if not value.is_absolute():
            base = env_path.resolve().parent if env_path and field.upper() not in from_environ else Path.cwd()
            updates[field] = (base / value).resolve()
    return settings.model_copy(update=updates)


def catalog_path(env_file: str | Path | None = None) -> Path:
    """The one catalog setting: CATALOG_PATH from the environment, else from `.env`, else the shipped catalog.

    The app reads the same variable (catalog_tools.config.Settings.catalog_path), so validate, the dry run,
    reward-hacks, make-dataset, the notebook and the demo all use the catalog the app serves."""
    return load_settings(env_file).catalog_path


# `client.fine_tuning.alpha.graders` and `jobs.pause/resume` first appear in openai 1.78.0 (its CHANGELOG); a
# callable `api_key` (the Entra ID token provider of the keyless client) in 1.106.0. requirements.txt pins the same.
MIN_OPENAI_VERSION = (1, 106)


class OpenAIVersionError(RuntimeError):
    """The installed `openai` package predates what the toolkit calls."""


def require_openai_version(version: str | None = None) -> None:
    """Raise `OpenAIVersionError` if `version` (default: the installed openai's) is older than MIN_OPENAI_VERSION."""
    if version is None:
        import openai

        version = openai.__version__
    found = tuple(int(part) for part in re.findall(r"\d+", version)[:2])
    if found < MIN_OPENAI_VERSION:
        needed = ".".join(map(str, MIN_OPENAI_VERSION))
        raise OpenAIVersionError(
            f"openai {version} is too old: the toolkit needs openai>={needed} (client.fine_tuning.alpha.graders and "
            f"fine_tuning.jobs.pause/resume first appear in 1.78, keyless sign-in with a token provider in 1.106). "
            f"Upgrade it: pip install 'openai>={needed}'")


def entra_token_provider(credential: Any = None) -> Callable[[], str]:
    """A callable returning a fresh bearer token for Azure OpenAI (azure-identity caches and refreshes it).

    `credential` is any azure-identity credential; the default, `DefaultAzureCredential`, is only built here
    and asked for a token on the first request.
    """
    try:
        from azure.identity import DefaultAzureCredential, get_bearer_token_provider
    except ImportError as exc:
        raise SettingsError("AZURE_OPENAI_API_KEY is not set, so the client signs in with Microsoft Entra ID, "
                            "which needs azure-identity: `pip install azure-identity` (or set the key)") from exc
    return get_bearer_token_provider(credential if credential is not None else DefaultAzureCredential(), ENTRA_SCOPE)


def make_client(settings: ToolkitSettings, *, credential: Any = None, **client_options: Any) -> OpenAI:
    """`OpenAI(base_url=<endpoint>/openai/v1/, api_key=...)` for Azure or, without Azure settings, the stand-in.

    On Azure without `AZURE_OPENAI_API_KEY`, `api_key` is an Entra ID token provider (openai >= 1.106 calls it
    before each request and sends `Authorization: Bearer <token>`); `credential` replaces `DefaultAzureCredential`.

    Raises `OpenAIVersionError` if the installed openai package is older than MIN_OPENAI_VERSION.
    """
    from openai import OpenAI

    require_openai_version()
    return OpenAI(base_url=settings.openai_base_url, api_key=_api_key(settings, credential), **client_options)


def make_async_client(settings: ToolkitSettings, *, credential: Any = None, **client_options: Any) -> AsyncOpenAI:
    """`make_client`'s `AsyncOpenAI` twin, signed in the same way (for the dry run's model policy). Keyless, the
    token provider runs in a worker thread: a token refresh must not block the event loop the rollouts share."""
    from openai import AsyncOpenAI

    require_openai_version()
    key = _api_key(settings, credential)
    return AsyncOpenAI(base_url=settings.openai_base_url, api_key=_off_the_loop(key) if callable(key) else key,
                       **client_options)


def _off_the_loop(provider: Callable[[], str]) -> Callable[[], Awaitable[str]]:
    """The async token provider AsyncOpenAI calls: the sync one, in a worker thread."""
    async def token() -> str:
        return await asyncio.to_thread(provider)

    return token


def _api_key(settings: ToolkitSettings, credential: Any) -> str | Callable[[], str]:
    """The stand-in's key, the Azure key, or (Azure without a key) an Entra ID token provider."""
    if not settings.uses_azure:
        return STANDIN_API_KEY
    if settings.azure_openai_api_key:
        return settings.azure_openai_api_key
    return entra_token_provider(credential)
