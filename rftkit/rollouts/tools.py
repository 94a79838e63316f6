"""The tool endpoints of a job — `method.reinforcement.tools[]` — and the functions a row offers the model.

A job names each tool once, `{name, server_url, headers?}`; several names may share one URL (the server then
dispatches on the wrapper's `name`). `job_method` accepts what a user has at hand: a whole job body as passed to
`fine_tuning.jobs.create`, its `method`, or the `reinforcement` object alone.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping
from typing import Any

from rftkit.util.headers import headers_for, tool_headers


def job_method(body: Any, source: str = "the job") -> dict[str, Any]:
    """The `method.reinforcement` object of a job body (or of its `method`, or that object itself)."""
    if not isinstance(body, Mapping):
        raise ValueError(f"{source}: a job body must be a JSON object")
    method = body.get("method", body)
    if isinstance(method, Mapping) and isinstance(method.get("reinforcement"), Mapping):
        return dict(method["reinforcement"])
    if isinstance(method, Mapping) and ("tools" in method or "grader" in method):
        return dict(method)  # the reinforcement object itself
    raise ValueError(f"{source}: no method.reinforcement (with tools and a grader) found")


def job_tools(reinforcement: Mapping[str, Any], source: str = "the job") -> list[dict[str, Any]]:
    """A copy of the job's tool entries, checked by the same rules as the job builders."""
    from rftkit.jobs.rules import tools_problems

    tools = reinforcement.get("tools")
    if tools is None:
        return []
    problems = tools_problems(tools)
    if problems:
        raise ValueError(f"{source}: " + "; ".join(str(p) for p in problems))
    return copy.deepcopy(list(tools))


def parse_tool(text: str) -> tuple[str, str]:
    """`NAME=URL` -> (name, url)."""
    name, sep, url = text.partition("=")
    if not sep or not name.strip() or not url.strip().startswith(("http://", "https://")):
        raise ValueError(f"--tool {text!r} is not NAME=URL (e.g. search_catalog=http://127.0.0.1:7071/tool/"
                         "search_catalog)")
    return name.strip(), url.strip()


def merge_tools(base: Iterable[Mapping[str, Any]], urls: Iterable[tuple[str, str]],
                header_texts: Iterable[str] | None) -> list[dict[str, Any]]:
    """The job's tools with command-line `(name, url)` pairs added or replacing a URL, and `--tool-header` texts
    applied (to every tool, or to the tool they name)."""
    merged: dict[str, dict[str, Any]] = {t["name"]: dict(t) for t in base}
    for name, url in urls:
        merged.setdefault(name, {"name": name})["server_url"] = url
    grouped = tool_headers(header_texts, merged)
    for entry in merged.values():
        headers = headers_for(entry["name"], grouped, entry.get("headers"))
        if headers:
            entry["headers"] = headers
    return list(merged.values())


def row_functions(item: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The function definitions a row offers (`{"type": "function", "function": {...}}` or flat), by name."""
    functions: dict[str, dict[str, Any]] = {}
    for tool in item.get("tools") or []:
        if not isinstance(tool, Mapping):
            continue
        function = tool.get("function") if isinstance(tool.get("function"), Mapping) else tool
        name = function.get("name")
        if isinstance(name, str) and name:
            functions[name] = dict(function)
    return functions


def output_is_error(output: str) -> bool:
    """Whether a tool's `output` reports an error: a JSON object with an `error` key (this app's error shape and
    a common convention; a tool that words errors otherwise is not recognised)."""
    try:
        payload = json.loads(output)
    except (TypeError, ValueError):
        return False
    return isinstance(payload, dict) and "error" in payload
