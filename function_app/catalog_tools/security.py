"""Per-endpoint key auth. A key may come in `X-Functions-Key`, `api-key` or `Authorization: Bearer`.

Keys are compared in constant time. Auth on with no key configured refuses everything (fail closed). The policy of
each endpoint is computed once at start-up (`endpoint_auth`); the routes, the fast path, the start-up log and
/health all use that one object.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field

from pydantic import SecretStr

from .config import Settings
from .errors import ApiError


def _presented(headers: Mapping[str, str]) -> list[str]:
    keys = [headers.get("x-functions-key"), headers.get("api-key")]
    auth = headers.get("authorization")
    if auth and auth[:7].lower() == "bearer ":
        keys.append(auth[7:].strip())
    return [k for k in keys if k]


@dataclass(frozen=True)
class EndpointAuth:
    """How one endpoint authenticates: open (switched off), key required, or closed (no key configured)."""

    path: str
    switch: str  # e.g. TOOL_AUTH_DISABLED
    key_setting: str  # e.g. TOOL_API_KEY
    disabled: bool
    key: bytes | None = field(default=None, repr=False)

    @property
    def status(self) -> str:
        if self.disabled:
            return f"open ({self.switch}=true)"
        if self.key:
            return "key required"
        return f"closed: no key configured — set {self.key_setting} or {self.switch}=true"

    def check(self, headers: Mapping[str, str]) -> None:
        """Raise a 401 ApiError unless auth is off or a presented key matches."""
        if self.disabled:
            return
        if not self.key:
            raise ApiError(401, "unauthorized", f"auth is on but {self.key_setting} is not configured on the server; "
                           f"set {self.key_setting}, or set {self.switch}=true to allow anonymous calls")
        matched = False
        for presented in _presented(headers):
            matched |= hmac.compare_digest(presented.encode(), self.key)
        if not matched:
            raise ApiError(401, "unauthorized", "missing or wrong key: send it in X-Functions-Key, api-key or "
                           "Authorization: Bearer", headers={"WWW-Authenticate": "Bearer"})


def endpoint_auth(settings: Settings) -> dict[str, EndpointAuth]:
    """The auth policy of the tool endpoints (every tool route and /tools) and of /score, keyed "tool" and "score"."""
    def key(secret: SecretStr | None) -> bytes | None:
        value = secret.get_secret_value() if secret is not None else ""
        return value.encode() if value else None

    return {
        "tool": EndpointAuth("/tool/<name>, /tools", "TOOL_AUTH_DISABLED", "TOOL_API_KEY",
                             settings.tool_auth_disabled, key(settings.tool_api_key)),
        "score": EndpointAuth("/score", "SCORE_AUTH_DISABLED", "SCORE_API_KEY",
                              settings.score_auth_disabled, key(settings.score_api_key)),
    }
