"""What a submission commits to, said before anything is sent, and the stop when nobody asked to submit.

Reinforcement fine-tuning on Azure bills per hour of training. This module never invents a price: it shows the
job bodies, what can be counted locally (rows, epochs, steps, evaluation rollouts) and the service's own limits,
and raises `NothingSubmitted` on Azure unless the user asked for real jobs (`SUBMIT = True` / `--submit`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

BILLING_NOTE = (
    "Billing: reinforcement fine-tuning is billed per HOUR OF TRAINING, at the rate Azure publishes for the model "
    "and region (Azure OpenAI pricing page); this tool does not know that rate and shows no price. Azure "
    "auto-pauses a job once it reaches $5,000 of cost. Each rollout also calls your tool and grader on the "
    "Function App, billed by its plan."
)
SUBMIT_HINT = "set SUBMIT = True in the notebook's submit cell (headless: `python -m rftkit demo --submit`)"


class NothingSubmitted(Exception):
    """Raised on Azure when SUBMIT is False: the notebook stops here, before any upload or job creation."""

    def _render_traceback_(self) -> list[str]:  # IPython shows this instead of a traceback: it is not a crash
        return [f"{type(self).__name__}: {self}"]


def _scale(hyperparameters: Mapping[str, Any], train_rows: int, valid_rows: int) -> list[str]:
    """What can honestly be counted before the job runs; 'auto' values are the service's choice."""
    epochs, batch = hyperparameters.get("n_epochs"), hyperparameters.get("batch_size")
    interval, samples = hyperparameters.get("eval_interval"), hyperparameters.get("eval_samples")
    lines = []
    if isinstance(epochs, int):
        lines.append(f"{train_rows} training rows x {epochs} epochs = {train_rows * epochs} training samples")
    else:
        lines.append(f"n_epochs {epochs}: the service picks the epochs; each epoch is {train_rows} training rows")
    if isinstance(epochs, int) and isinstance(batch, int):
        steps = epochs * math.ceil(train_rows / batch)
        lines.append(f"about {steps} steps ({epochs} x ceil({train_rows} / batch_size {batch}))")
        if isinstance(interval, int):
            lines.append(f"about {steps // interval} evaluations (every {interval} steps)")
    else:
        lines.append("the step count is the service's choice (n_epochs or batch_size is auto)")
    if isinstance(samples, int):
        lines.append(f"each evaluation: {valid_rows} validation rows x {samples} samples = "
                     f"{valid_rows * samples} rollouts")
    compute = hyperparameters.get("compute_multiplier")
    if isinstance(compute, (int, float)) and compute != 1:
        lines.append(f"compute_multiplier {compute}: more compute per step, hence more hours")
    return lines


def _grader(grader: Mapping[str, Any]) -> str:
    kind = grader.get("type")
    head = f"{kind} {grader.get('name', '')!r}"
    if kind == "multi":
        parts = ", ".join(f"{key}: {sub.get('type')}" for key, sub in (grader.get("graders") or {}).items())
        return f"{head}: {grader.get('calculate_output')} ({parts})"
    if kind == "endpoint":
        return f"{head} at {grader.get('url')} (rate_limit {grader.get('rate_limit', 'default')})"
    return head


def _tools(tools: list[Mapping[str, Any]]) -> list[str]:
    return [f"{t.get('name')} -> {t.get('server_url')}"
            + (f" (headers: {', '.join(t['headers'])})" if t.get("headers") else "")  # names only, never values
            for t in tools]


def job_plan(label: str, spec: Mapping[str, Any], files: Mapping[str, tuple[Path, int]]) -> str:
    """One job as it would be created; `files` maps the spec's file ids to (path, row count)."""
    body = spec["method"]["reinforcement"]
    hyper = body.get("hyperparameters") or {}
    train_path, train_rows = files[spec["training_file"]]
    valid_path, valid_rows = files[spec["validation_file"]]
    tools = _tools(body.get("tools") or [])
    lines = [f"Job {label}",
             f"  model              {spec['model']}",
             f"  training file      {train_path.name}: {train_rows} rows",
             f"  validation file    {valid_path.name}: {valid_rows} rows",
             f"  grader             {_grader(body['grader'])}",
             f"  tools              {tools[0] if tools else '(none)'}",
             *(f"                     {t}" for t in tools[1:]),
             f"  max_episode_steps  {body.get('max_episode_steps')}",
             f"  hyperparameters    {', '.join(f'{k}={v}' for k, v in hyper.items())}",
             *(f"  {'scale' if i == 0 else '':19}{line}" for i, line in enumerate(_scale(hyper, train_rows,
                                                                                            valid_rows)))]
    if str(spec["model"]).startswith("gpt-5"):
        lines.append("  note               pausing a gpt-5 RFT job by hand does not work in the preview: cancel "
                     "is the way to stop it")
    return "\n".join(lines)


def submission_plan(specs: Mapping[str, Mapping[str, Any]], files: Mapping[str, tuple[Path, int]],
                    local: bool) -> str:
    """Every job of `specs`, then what it costs (the stand-in: nothing)."""
    head = ("LOCAL STAND-IN: these jobs are free dry runs that train nothing." if local
            else f"AZURE: submitting creates {len(specs)} REAL fine-tuning jobs.")
    tail = ("" if local else
            f"\n{BILLING_NOTE}\nUploading the files is free; the jobs start billing once they run.")
    return head + "\n\n" + "\n\n".join(job_plan(label, spec, files) for label, spec in specs.items()) + "\n" + tail


def require_submit(local: bool, submit: bool) -> str:
    """Go ahead (a line saying why), or raise `NothingSubmitted` on Azure unless `submit`."""
    if local:
        return "Local stand-in: the jobs are dry runs and cost nothing, so they run without SUBMIT."
    if not submit:
        raise NothingSubmitted(f"Nothing was submitted: the checks passed, no file was uploaded and no job "
                               f"was created. To submit these real, billed jobs, {SUBMIT_HINT}.")
    return "SUBMIT = True: uploading the files and creating the jobs on Azure."
