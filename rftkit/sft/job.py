"""Supervised fine-tuning job bodies for `client.fine_tuning.jobs.create(**spec)`, checked before sending.

    method = {"type": "supervised", "supervised": {"hyperparameters": {n_epochs, batch_size, learning_rate_multiplier}}}

Only models Azure fine-tunes with tool calling are accepted (`SFT_TOOL_MODELS`); a validation file is required
here (the service makes it optional, but without one there is no held-out loss to watch). The same checks run in
the stand-in, which answers a violation with a 400.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rftkit.jobs.builders import JobSpecError
from rftkit.jobs.rules import MAX_SUFFIX_CHARS, Problem, hyperparameter_problems

# Azure OpenAI models whose supervised fine-tuning takes tool calls, each with its training example context length
# in tokens (docs/service-contract.md#supervised-fine-tuning-with-tools).
SFT_TOOL_MODELS: dict[str, int] = {"gpt-4o-2024-08-06": 65_536, "gpt-4o-mini-2024-07-18": 65_536,
                                   "gpt-4.1-2025-04-14": 65_536, "gpt-4.1-mini-2025-04-14": 65_536,
                                   "gpt-4.1-nano-2025-04-14": 32_768}
SFT_DEFAULT_MODEL = "gpt-4.1-mini-2025-04-14"
SUPERVISED_HYPERPARAMETERS = ("n_epochs", "batch_size", "learning_rate_multiplier")
PARAM = "method.supervised.hyperparameters"


def supervised_problems(spec: Mapping[str, Any]) -> list[Problem]:
    """Every problem of a supervised job body, the method's first."""
    method = spec.get("method")
    if isinstance(method, Mapping) and method.get("type") == "supervised":
        stray = sorted(set(method) - {"type", "supervised"})
        if stray:  # e.g. an RFT body whose type was changed: the service must not guess which was meant
            return [Problem("method.type", f"is 'supervised' but the method carries {', '.join(map(repr, stray))}; "
                                           "a supervised method has only `supervised: {hyperparameters}`")]
    problems: list[Problem] = []
    model = spec.get("model")
    if model not in SFT_TOOL_MODELS:
        problems.append(Problem("model", f"{model!r} is not a model fine-tuned with tool calls; use one of "
                                         f"{', '.join(SFT_TOOL_MODELS)}"))
    if not isinstance(spec.get("training_file"), str) or not spec.get("training_file"):
        problems.append(Problem("training_file", "is required (an uploaded file id)"))
    if spec.get("validation_file") is not None and (not isinstance(spec["validation_file"], str)
                                                    or not spec["validation_file"]):
        problems.append(Problem("validation_file", "is optional for a supervised job, but when given must be an "
                                                   "uploaded file id"))
    suffix = spec.get("suffix")
    if suffix is not None and (not isinstance(suffix, str) or len(suffix) > MAX_SUFFIX_CHARS):
        problems.append(Problem("suffix", f"must be a string of at most {MAX_SUFFIX_CHARS} characters"))
    if spec.get("seed") is not None and (not isinstance(spec["seed"], int) or isinstance(spec["seed"], bool)):
        problems.append(Problem("seed", "must be an integer"))
    if not isinstance(method, Mapping) or method.get("type") != "supervised":
        return [*problems, Problem("method.type", 'must be "supervised"')]
    body = method.get("supervised")
    if body is None:
        return problems
    if not isinstance(body, Mapping):
        return [*problems, Problem("method.supervised", "must be an object {hyperparameters}")]
    hyper = body.get("hyperparameters")
    if hyper is not None and isinstance(hyper, Mapping):
        problems += [Problem(f"{PARAM}.{name}", f"is not a supervised hyperparameter; known: "
                                                f"{', '.join(SUPERVISED_HYPERPARAMETERS)}")
                     for name in hyper if name not in SUPERVISED_HYPERPARAMETERS]
        hyper = {k: v for k, v in hyper.items() if k in SUPERVISED_HYPERPARAMETERS}
    problems += hyperparameter_problems(hyper, PARAM)
    return problems


def supervised_spec(*, training_file: str, validation_file: str | None = None, model: str = SFT_DEFAULT_MODEL,
                    suffix: str | None = "sft", seed: int | None = 42,
                    hyperparameters: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A checked supervised job body; `JobSpecError` lists every problem. The validation file is optional for a
    supervised job (unlike reinforcement): without one, the body has no `validation_file`."""
    spec: dict[str, Any] = {"model": model, "training_file": training_file}
    if validation_file is not None:
        spec["validation_file"] = validation_file
    if suffix is not None:
        spec["suffix"] = suffix
    if seed is not None:
        spec["seed"] = seed
    spec["method"] = {"type": "supervised", "supervised": {"hyperparameters": {
        "n_epochs": "auto", "batch_size": "auto", "learning_rate_multiplier": "auto", **(hyperparameters or {})}}}
    problems = supervised_problems(spec)
    if problems:
        raise JobSpecError(problems)
    return spec
