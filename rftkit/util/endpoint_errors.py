"""What to tell the user when a tool or grader URL fails: one wording for the notebook, the dry run and the grader
commands, naming the URL and the usual fix."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

UNREACHABLE_FIX = "is the app running, and is the URL right (scheme, host, port)?"
NOT_FOUND_FIX = ("usually an `/api` prefix or a wrong path: Azure Functions serves HTTP routes under `/api` unless "
                 "host.json sets `extensions.http.routePrefix` to \"\" (this project's host.json does, so its routes "
                 "are /tool/search_catalog and /score); check the URL's path against the app's routes")


def shown_url(url: str) -> str:
    """`url` fit for a message: a function key passed as `?code=` is masked."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    query = [(key, "***" if key.lower() == "code" else value) for key, value in parse_qsl(parts.query, True)]
    return urlunsplit(parts._replace(query=urlencode(query, safe="*")))


def unreachable(url: str, exc: BaseException) -> str:
    """A connection that failed before any answer (nothing listening, an unknown host)."""
    return f"cannot reach {shown_url(url)} ({type(exc).__name__}: {exc}): {UNREACHABLE_FIX}"


def not_found(url: str) -> str:
    return f"{shown_url(url)} answered HTTP 404 Not Found: {NOT_FOUND_FIX}"
