"""What the RFT service documents about a job body, as plain checks (docs/service-contract.md#job-body).

One implementation shared by the job builders (`rftkit.jobs.builders`, before anything is sent) and the local stand-in
(`rftkit.standin`, which answers a violation with a 400). Each check returns `Problem`s naming the field and why.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from rftkit.util.jsonl import read_jsonl

RFT_MODELS = ("o4-mini-2025-04-16", "gpt-5-2025-08-07")  # o4-mini GA, gpt-5 private preview
GPT5_PREFIX = "gpt-5"  # user-triggered pause/resume does not work for these RFT jobs (Azure preview)
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
REASONING_EFFORTS = ("default", "low", "medium", "high")
MAX_SUFFIX_CHARS = 64

# name -> (integer only?, lowest, lowest inclusive?, highest or None): the OpenAI spec's ranges ("auto" always ok).
_RANGES: dict[str, tuple[bool, float, bool, float | None]] = {
    "batch_size": (True, 1, True, 256),
    "n_epochs": (True, 1, True, 50),
    "learning_rate_multiplier": (False, 0, False, None),
    "compute_multiplier": (False, 0, False, 10),
    "eval_interval": (True, 1, True, None),
    "eval_samples": (True, 1, True, None),
}
# Narrower ranges of an older Azure doc: worth a warning, not a refusal
# (docs/service-contract.md#where-the-sources-disagree).
_OLDER_AZURE_RANGES = {"compute_multiplier": (0.5, 3.0), "eval_interval": (1, 25), "eval_samples": (1, 10)}
HYPERPARAMETER_NAMES = (*_RANGES, "reasoning_effort")


@dataclass(frozen=True)
class Problem:
    """One violation: the request field (dotted path, as the service's `param`) and why it is wrong."""

    param: str
    message: str

    def __str__(self) -> str:
        return f"{self.param}: {self.message}"


def is_known_model(model: str) -> bool:
    return model in RFT_MODELS


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def url_problems(url: Any, param: str) -> list[Problem]:
    """Absolute http(s) URL; https unless the host is loopback (a local app or stand-in)."""
    if not isinstance(url, str) or not url:
        return [Problem(param, "must be a non-empty URL string")]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return [Problem(param, f"must be an absolute http(s) URL, got {url!r}")]
    if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
        return [Problem(param, f"must use https (the service calls it over the internet), got {url!r}; "
                               "plain http is only accepted for localhost/127.0.0.1")]
    return []


def hyperparameter_problems(values: Any, param: str = "method.reinforcement.hyperparameters") -> list[Problem]:
    if values is None:
        return []
    if not isinstance(values, Mapping):
        return [Problem(param, "must be an object")]
    problems = []
    for name, value in values.items():
        where = f"{param}.{name}"
        if name == "reasoning_effort":
            if value not in REASONING_EFFORTS:
                problems.append(Problem(where, f"must be one of {', '.join(REASONING_EFFORTS)}; got {value!r}"))
            continue
        if name not in _RANGES:
            problems.append(Problem(where, f"is not a reinforcement hyperparameter; known: "
                                           f"{', '.join(HYPERPARAMETER_NAMES)}"))
            continue
        if value == "auto":
            continue
        integer, low, low_inclusive, high = _RANGES[name]
        kind = "an integer" if integer else "a number"
        bounds = f"{'≥' if low_inclusive else '>'} {low:g}" + (f" and ≤ {high:g}" if high is not None else "")
        ok_type = isinstance(value, int) and not isinstance(value, bool) if integer else _is_number(value)
        in_range = ok_type and (value >= low if low_inclusive else value > low) and (high is None or value <= high)
        if not in_range:
            problems.append(Problem(where, f"must be \"auto\" or {kind} {bounds}; got {value!r}"))
    return problems


def hyperparameter_cautions(values: Mapping[str, Any]) -> list[str]:
    """Values the OpenAI spec accepts but an older Azure doc's narrower ranges do not."""
    cautions = []
    for name, (low, high) in _OLDER_AZURE_RANGES.items():
        value = values.get(name)
        if _is_number(value) and not low <= value <= high:
            cautions.append(f"hyperparameters.{name}={value!r} is outside {low:g}-{high:g}, the range of an older "
                            "Azure doc; Azure may refuse it")
    return cautions


# Keys of `method.reinforcement` the sources show: the SDK types (grader, hyperparameters), the Azure preview
# (tools, max_episode_steps) and Azure's samples (response_format). docs/service-contract.md#job-body.
REINFORCEMENT_KEYS = ("grader", "hyperparameters", "tools", "max_episode_steps", "response_format")


def reinforcement_key_cautions(body: Mapping[str, Any], param: str = "method.reinforcement") -> list[str]:
    """A key of `method.reinforcement` no source shows (typically a typo), with the nearest known key."""
    cautions = []
    for key in body:
        if key in REINFORCEMENT_KEYS:
            continue
        nearest = difflib.get_close_matches(str(key), REINFORCEMENT_KEYS, n=1)
        hint = f"did you mean {nearest[0]!r}?" if nearest else f"known keys: {', '.join(REINFORCEMENT_KEYS)}"
        cautions.append(f"{param}.{key} is not a known key ({hint}); the service may ignore or refuse it")
    return cautions


def top_level_hyperparameters_caution(spec: Mapping[str, Any]) -> str | None:
    """Top-level `hyperparameters` is deprecated in favour of `method` (v1 REST reference): a warning, not a refusal."""
    if spec.get("hyperparameters") is None:
        return None
    return ("hyperparameters at the top level of the job body is deprecated in favour of `method`: put them in "
            "method.reinforcement.hyperparameters")


def max_episode_steps_problems(value: Any, param: str = "method.reinforcement.max_episode_steps") -> list[Problem]:
    if value is None:
        return []
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        return [Problem(param, f"must be a positive integer (the most model turns per rollout); got {value!r}")]
    return []


def tools_problems(tools: Any, param: str = "method.reinforcement.tools") -> list[Problem]:
    """The job's `tools` entries: `[{name, server_url, headers?}]`, unique names."""
    if tools is None:
        return []
    if not isinstance(tools, list) or not tools:
        return [Problem(param, "must be a non-empty list of {name, server_url, headers?}")]
    problems: list[Problem] = []
    seen: set[str] = set()
    for i, entry in enumerate(tools):
        where = f"{param}[{i}]"
        if not isinstance(entry, Mapping):
            problems.append(Problem(where, "must be an object {name, server_url, headers?}"))
            continue
        name = entry.get("name")
        if not isinstance(name, str) or not name:
            problems.append(Problem(f"{where}.name", "must be the non-empty name of a function in the rows' tools"))
        elif name in seen:
            problems.append(Problem(f"{where}.name", f"{name!r} is listed twice"))
        else:
            seen.add(name)
        if "server_url" not in entry and "url" in entry:
            problems.append(Problem(f"{where}.server_url", "is missing: the key is `server_url`, not `url`"))
        else:
            problems += url_problems(entry.get("server_url"), f"{where}.server_url")
        headers = entry.get("headers")
        if headers is not None and not (isinstance(headers, Mapping) and all(
                isinstance(k, str) and isinstance(v, str) for k, v in headers.items())):
            problems.append(Problem(f"{where}.headers", "must be an object of string header names to string values"))
        for key in set(entry) - {"name", "server_url", "headers", "url"}:
            problems.append(Problem(f"{where}.{key}", "is not a field of a tools entry (name, server_url, headers)"))
    return problems


def row_tool_names(rows: Iterable[Mapping[str, Any]]) -> set[str]:
    """Function names the rows' `tools` declare (Chat-Completions `function.name` or flat `name`)."""
    names: set[str] = set()
    for row in rows:
        for tool in row.get("tools") or []:
            if isinstance(tool, Mapping):
                function = tool.get("function")
                name = function.get("name") if isinstance(function, Mapping) else tool.get("name")
                if isinstance(name, str) and name:
                    names.add(name)
    return names


def tool_name_problems(tools: Any, declared: set[str], param: str = "method.reinforcement.tools") -> list[Problem]:
    """Every job tool is declared in the rows, and every declared function has a tools entry (its URL)."""
    if not isinstance(tools, list):
        return []
    named = {t.get("name"): i for i, t in enumerate(tools) if isinstance(t, Mapping) and isinstance(t.get("name"), str)}
    if not declared:
        return [Problem(param, "the dataset rows declare no functions in `tools`: nothing for the model to call")]
    problems = [Problem(f"{param}[{i}].name", f"{name!r} is not a function in the dataset rows' tools "
                                               f"({', '.join(sorted(declared))})")
                for name, i in named.items() if name not in declared]
    problems += [Problem(param, f"the dataset rows declare {name!r} but no tools entry gives its server_url")
                 for name in sorted(declared - set(named))]
    return problems


def load_jsonl(path: str | Path) -> list[dict[str, Any]]:
    """Rows of a JSONL file; a line that is not a JSON object raises ValueError naming the file and line."""
    return read_jsonl(path)
