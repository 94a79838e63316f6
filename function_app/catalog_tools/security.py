"""Per-endpoint key auth. A key may come in `X-Functions-Key`, `api-key` or `Authorization: Bearer`.

Keys are compared in constant time. Auth on with no key configured refuses everything (fail closed).
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from fastapi import Request
from pydantic import SecretStr

from .errors import ApiError


def presented_keys(request: Request) -> list[str]:
    return _presented(request.headers)


def _presented(headers: Mapping[str, str]) -> list[str]:
    keys = [headers.get("x-functions-key"), headers.get("api-key")]
    auth = headers.get("authorization")
    if auth and auth[:7].lower() == "bearer ":
        keys.append(auth[7:].strip())
    return [k for k in keys if k]


def check_key(request: Request, disabled: bool, expected: SecretStr | None, switch: str, key_setting: str) -> None:
    """Raise a 401 ApiError unless auth is disabled or a presented key matches."""
    check_headers(request.headers, disabled, expected, switch, key_setting)


def check_headers(headers: Mapping[str, str], disabled: bool, expected: SecretStr | None, switch: str,
                  key_setting: str) -> None:
    if disabled:
        return
    if expected is None or not expected.get_secret_value():
        raise ApiError(401, "unauthorized", f"auth is on but {key_setting} is not configured on the server; "
                       f"set {key_setting}, or set {switch}=true to allow anonymous calls")
    want = expected.get_secret_value().encode()
    matched = False
    for key in _presented(headers):
        matched |= hmac.compare_digest(key.encode(), want)
    if not matched:
        raise ApiError(401, "unauthorized", "missing or wrong key: send it in X-Functions-Key, api-key or "
                       "Authorization: Bearer", headers={"WWW-Authenticate": "Bearer"})
