"""Job A and Job B: reinforcement fine-tuning job bodies for `client.fine_tuning.jobs.create(**spec)`.

Every builder checks what it builds before anything is sent (docs/service-contract.md#job-body) and raises
`JobSpecError` listing every problem, each naming the field and why. An unknown model only warns
(`UnknownModelWarning`), and so do a deprecated top-level `hyperparameters` and unknown `method.reinforcement` keys
(`JobSpecWarning`).
"""

from __future__ import annotations

import copy
import os
import re
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Union

from catalog_tools.tools import SEARCH_CATALOG, TOOLS
from rftkit.jobs.rules import (
    MAX_SUFFIX_CHARS,
    RFT_MODELS,
    Problem,
    hyperparameter_cautions,
    hyperparameter_problems,
    is_known_model,
    load_jsonl,
    max_episode_steps_problems,
    reinforcement_key_cautions,
    row_tool_names,
    tool_name_problems,
    tools_problems,
    top_level_hyperparameters_caution,
    url_problems,
)

JOB_A_MODEL = "gpt-5-2025-08-07"
JOB_B_MODEL = "o4-mini-2025-04-16"
DEFAULT_MAX_EPISODE_STEPS = 10
DEFAULT_SEED = 42
DEFAULT_HYPERPARAMETERS: dict[str, Any] = {
    "n_epochs": "auto", "batch_size": "auto", "learning_rate_multiplier": "auto", "compute_multiplier": 1.0,
    "eval_interval": 3, "eval_samples": 5, "reasoning_effort": "medium",
}

# Rows, a JSONL path, or several paths (training and validation): whatever declares the functions.
RowsSource = Union[str, "os.PathLike[str]", Iterable[Mapping[str, Any]], Iterable[Union[str, "os.PathLike[str]"]]]


_FIELD = re.compile(r"[A-Za-z_][\w.\[\]-]*")  # a dotted field path, as the grader engine names fields


class JobSpecError(ValueError):
    """A job body the service would refuse; `problems` lists every violation."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("the job spec is not valid:\n" + "\n".join(f"  - {p}" for p in problems))


class JobSpecWarning(UserWarning):
    """A job body the service accepts but that is probably not what was meant (a deprecated or unknown key...)."""


class UnknownModelWarning(UserWarning):
    """The model is not one known to support reinforcement fine-tuning (the job may still be accepted)."""


def tool_url(base_url: str, name: str = SEARCH_CATALOG) -> str:
    return f"{base_url.rstrip('/')}/tool/{name}"


def grader_url(base_url: str) -> str:
    return f"{base_url.rstrip('/')}/score"


def tool_entries(base_url: str, *, func_key: str | None = None, names: Iterable[str] | None = None
                 ) -> list[dict[str, Any]]:
    """The job's `tools`: one `{name, server_url, headers?}` per function (default: every tool the app registers),
    served by the app at `base_url`."""
    entries = []
    for name in TOOLS.names if names is None else names:
        entry: dict[str, Any] = {"name": name, "server_url": tool_url(base_url, name)}
        if func_key:
            entry["headers"] = {"X-Functions-Key": func_key}
        entries.append(entry)
    return entries


def _app_tool_entries(base_url: str, func_key: str | None, names: Iterable[str] | None,
                      rows: RowsSource) -> tuple[list[dict[str, Any]], RowsSource]:
    """The job's entries for the app's tools, and the rows (read once: an iterator cannot be read twice).

    Without `names`: every registered tool the rows declare (the shipped rows declare them all), or every registered
    tool when the rows declare none of them (the checks then say why)."""
    if names is None:
        try:
            rows = load_rows(rows)
        except (OSError, ValueError, TypeError):
            pass  # check_spec reports unreadable rows
        else:
            declared = row_tool_names(rows)
            names = [n for n in TOOLS.names if n in declared] or None
    return tool_entries(base_url, func_key=func_key, names=names), rows


def load_rows(source: RowsSource) -> list[dict[str, Any]]:
    """Rows from a JSONL path, several paths, or an iterable of row dicts."""
    if isinstance(source, (str, os.PathLike)):
        return load_jsonl(Path(source))
    rows: list[dict[str, Any]] = []
    for item in source:
        if isinstance(item, (str, os.PathLike)):
            rows += load_jsonl(Path(item))
        elif isinstance(item, Mapping):
            rows.append(dict(item))
        else:
            raise TypeError(f"rows must be row objects or JSONL paths, got {type(item).__name__}")
    return rows


def grader_problems(grader: Any, param: str = "method.reinforcement.grader") -> list[Problem]:
    """The grader engine's checks (types allowed in RFT, formula, templates...) plus https for an endpoint grader.

    The engine says "<field>: <why>"; the field joins `param` so the service-style `param` points at it.
    """
    from rftkit.graders import validate_grader  # lazy: the grader engine is a heavier import

    if not isinstance(grader, Mapping):
        return [Problem(param, "must be a grader object")]
    problems = []
    for message in validate_grader(dict(grader)):
        field, sep, why = message.partition(": ")
        if sep and _FIELD.fullmatch(field) and field != "grader":
            problems.append(Problem(f"{param}.{field}", why))
        else:
            problems.append(Problem(param, message))
    if grader.get("type") == "endpoint" and not any(p.param == f"{param}.url" for p in problems):
        problems += url_problems(grader.get("url"), f"{param}.url")
    return problems


def spec_problems(spec: Mapping[str, Any], rows: Iterable[Mapping[str, Any]] | None) -> list[Problem]:
    """Every problem of a reinforcement job body; tool names are checked against `rows` unless it is None."""
    problems: list[Problem] = []
    for key in ("model", "training_file", "validation_file"):
        if not isinstance(spec.get(key), str) or not spec.get(key):
            why = ("is required for reinforcement fine-tuning: upload the validation rows and pass the file id"
                   if key == "validation_file" else "is required (a non-empty string)")
            problems.append(Problem(key, why))
    suffix = spec.get("suffix")
    if suffix is not None and (not isinstance(suffix, str) or len(suffix) > MAX_SUFFIX_CHARS):
        problems.append(Problem("suffix", f"must be a string of at most {MAX_SUFFIX_CHARS} characters"))
    if spec.get("seed") is not None and (not isinstance(spec["seed"], int) or isinstance(spec["seed"], bool)):
        problems.append(Problem("seed", "must be an integer"))
    method = spec.get("method")
    if not isinstance(method, Mapping) or method.get("type") != "reinforcement":
        return [*problems, Problem("method.type", "must be \"reinforcement\"")]
    body = method.get("reinforcement")
    if not isinstance(body, Mapping):
        return [*problems, Problem("method.reinforcement", "must be an object with grader, tools, hyperparameters")]
    if "max_episode_steps" in (body.get("hyperparameters") or {}):
        problems.append(Problem("method.reinforcement.hyperparameters.max_episode_steps",
                                "belongs beside hyperparameters (method.reinforcement.max_episode_steps), not inside"))
        hyperparameters = {k: v for k, v in body["hyperparameters"].items() if k != "max_episode_steps"}
    else:
        hyperparameters = body.get("hyperparameters")
    problems += grader_problems(body.get("grader"))
    problems += tools_problems(body.get("tools"))
    if body.get("tools") is not None and rows is not None:  # no tools: plain RFT, nothing to match
        problems += tool_name_problems(body.get("tools"), row_tool_names(rows))
    problems += max_episode_steps_problems(body.get("max_episode_steps"))
    problems += hyperparameter_problems(hyperparameters)
    return problems


def spec_cautions(spec: Mapping[str, Any]) -> list[str]:
    """What the service accepts but probably should not get: deprecated or unknown keys, ranges an older Azure doc
    narrows. Warnings for the builders, `warn` events in the stand-in; never a refusal."""
    cautions = [c for c in [top_level_hyperparameters_caution(spec)] if c]
    method = spec.get("method")
    body = method.get("reinforcement") if isinstance(method, Mapping) else None
    if isinstance(body, Mapping):
        cautions += reinforcement_key_cautions(body)
        hyperparameters = body.get("hyperparameters")
        if isinstance(hyperparameters, Mapping):
            cautions += hyperparameter_cautions(hyperparameters)
    return cautions


def check_spec(spec: Mapping[str, Any], rows: RowsSource) -> dict[str, Any]:
    """Raise `JobSpecError` listing every problem; warn about an unknown model or a range Azure may refuse."""
    try:
        loaded = load_rows(rows)
    except (OSError, ValueError) as exc:
        raise JobSpecError([Problem("rows", f"cannot read the dataset rows: {exc}")]) from exc
    problems = spec_problems(spec, loaded)
    if problems:
        raise JobSpecError(problems)
    model = spec["model"]
    if not is_known_model(model):
        warnings.warn(f"model {model!r} is not known to support reinforcement fine-tuning "
                      f"(known: {', '.join(RFT_MODELS)}); the service may refuse the job",
                      UnknownModelWarning, stacklevel=3)
    if spec["training_file"] == spec["validation_file"]:  # advice, not a documented refusal
        warnings.warn("validation_file is the training file: validation rewards then measure memorization; "
                      "hold out different rows", UserWarning, stacklevel=3)
    for caution in spec_cautions(spec):
        warnings.warn(caution, JobSpecWarning, stacklevel=3)
    return dict(spec)


def reinforcement_spec(*, model: str, training_file: str, validation_file: str | None, grader: Mapping[str, Any],
                       tools: list[dict[str, Any]], rows: RowsSource, suffix: str | None = None,
                       seed: int | None = DEFAULT_SEED, max_episode_steps: int = DEFAULT_MAX_EPISODE_STEPS,
                       hyperparameters: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A checked reinforcement job body; `hyperparameters` override `DEFAULT_HYPERPARAMETERS` key by key."""
    spec: dict[str, Any] = {"model": model, "training_file": training_file, "validation_file": validation_file}
    if suffix is not None:
        spec["suffix"] = suffix
    if seed is not None:
        spec["seed"] = seed
    spec["method"] = {"type": "reinforcement", "reinforcement": {
        "grader": copy.deepcopy(dict(grader)),
        "tools": copy.deepcopy(tools),
        "max_episode_steps": max_episode_steps,
        "hyperparameters": {**DEFAULT_HYPERPARAMETERS, **(hyperparameters or {})},
    }}
    return check_spec(spec, rows)


def job_a_spec(*, training_file: str, validation_file: str | None, rows: RowsSource, tool_base_url: str,
               func_key: str | None = None, model: str = JOB_A_MODEL, grader: Mapping[str, Any] | None = None,
               suffix: str | None = "job-a", seed: int | None = DEFAULT_SEED,
               max_episode_steps: int = DEFAULT_MAX_EPISODE_STEPS,
               hyperparameters: Mapping[str, Any] | None = None, tool_names: Iterable[str] | None = None,
               tools: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Job A: the app's tools + the multi grader (0.9 exact + 0.1 near-miss fuzzy) of `graders.presets.job_a_grader()`.

    Tools: one entry per name in `tool_names`, each at `<tool_base_url>/tool/<name>` (default: every tool the app
    registers that the rows declare — both for the shipped rows); or `tools`, the job's entries as given (e.g. tools
    on other servers, or several names on one URL)."""
    if grader is None:
        from rftkit.graders.presets import job_a_grader

        grader = job_a_grader()
    if tools is None:
        tools, rows = _app_tool_entries(tool_base_url, func_key, tool_names, rows)
    return reinforcement_spec(model=model, training_file=training_file, validation_file=validation_file,
                              grader=grader, tools=tools, rows=rows,
                              suffix=suffix, seed=seed, max_episode_steps=max_episode_steps,
                              hyperparameters=hyperparameters)


def job_b_spec(*, training_file: str, validation_file: str | None, rows: RowsSource, tool_base_url: str,
               func_key: str | None = None, model: str = JOB_B_MODEL, grader_base_url: str | None = None,
               grader_name: str = "catalog_grader", rate_limit: int = 50, suffix: str | None = "job-b",
               seed: int | None = DEFAULT_SEED, max_episode_steps: int = DEFAULT_MAX_EPISODE_STEPS,
               hyperparameters: Mapping[str, Any] | None = None, tool_names: Iterable[str] | None = None,
               tools: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Job B: the app's tools (as in `job_a_spec`) + its endpoint grader at `<grader_base_url or tool_base_url>/score`,
    no headers."""
    from rftkit.graders.presets import endpoint_grader

    grader = endpoint_grader(grader_url(grader_base_url or tool_base_url), name=grader_name, rate_limit=rate_limit)
    return job_a_spec(training_file=training_file, validation_file=validation_file, rows=rows,
                      tool_base_url=tool_base_url, func_key=func_key, model=model, grader=grader, suffix=suffix,
                      seed=seed, max_episode_steps=max_episode_steps, hyperparameters=hyperparameters,
                      tool_names=tool_names, tools=tools)
