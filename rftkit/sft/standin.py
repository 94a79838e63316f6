"""The stand-in's supervised fine-tuning: uploads checked with `checks.py`, jobs checked with `job.py`, and an
honest dry run — no weights change, so there is no loss curve; the job reports the checks it made, the token
counts and the trained tokens, and calls its result a dry run.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from rftkit.data.row_rules import Finding
from rftkit.sft.checks import MAX_TOKENS_PER_EXAMPLE, MIN_EXAMPLES, check_text, is_supervised_row, row_problems
from rftkit.sft.tokens import ENCODING, count_row

AUTO_EPOCHS = 3  # what this dry run counts for n_epochs "auto" (the service picks its own number)
CHECKS = ("every line is a JSON object with only messages, tools, parallel_tool_calls",
          "every tool message answers an earlier assistant tool call with its id",
          "every tool call gets its tool message", "tool call arguments parse as JSON",
          "`tools` declares every function called", "the last message is the assistant's answer",
          f"at most {MAX_TOKENS_PER_EXAMPLE:,} tokens per example ({ENCODING})", "at least 10 examples per file")
DRY_RUN_NOTICE = ("DRY RUN by the local stand-in: supervised fine-tuning trains nothing here and no weights change, "
                  "so there is no loss curve. The job checked the files, counted their tokens and reports the "
                  "tokens a real job would train on.")


def check_upload(text: str) -> tuple[list[dict[str, Any]], list[Finding]]:
    """A supervised file's upload check: its good rows, and each bad line as a row-rule finding (the example count
    is checked when a job uses the file)."""
    rows, problems = check_text(text)
    return rows, [Finding("supervised-example", p.message, p.line) for p in problems if p.line is not None]


def check_create(body: dict[str, Any], state: Any) -> tuple[Any, Any]:
    """Raise `StandinError` for a supervised job the service would refuse; return (training, validation or None:
    the validation file is optional for a supervised job)."""
    from rftkit.sft.job import SFT_TOOL_MODELS, supervised_problems
    from rftkit.standin.errors import StandinError, invalid
    from rftkit.standin.job_checks import _file

    problems = supervised_problems(body)
    if problems:
        raise invalid(problems)
    files = []
    for param in ("training_file", "validation_file"):
        if param == "validation_file" and body.get(param) is None:  # optional for a supervised job
            files.append(None)
            continue
        stored = _file(state, body, param)
        first = stored.rows[0] if stored.rows else None
        if not is_supervised_row(first):
            why = "; ".join(row_problems(first, count_tokens=False)) or "not a chat example"
            raise StandinError(400, f"invalid {param}: {stored.id} is not a chat fine-tuning file: line 1: {why}",
                           param=param, code="invalid_file")
        if len(stored.rows) < MIN_EXAMPLES:
            raise StandinError(400, f"invalid {param}: {stored.id} has {len(stored.rows)} examples; a supervised job "
                                f"needs at least {MIN_EXAMPLES}.", param=param, code="invalid_file")
        limit = SFT_TOOL_MODELS[body["model"]]  # the upload check allows the largest; each model has its own
        for number, row in enumerate(stored.rows, start=1):
            if (tokens := count_row(row)) > limit:
                raise StandinError(400, f"invalid {param}: {stored.id} example {number} has {tokens:,} tokens; "
                                        f"{body['model']} trains on examples of at most {limit:,}.", param=param,
                                   code="invalid_file")
        files.append(stored)
    return files[0], files[1]


def refuse_for_reinforcement(files: tuple[Any, Any]) -> None:
    """An RFT job on a chat fine-tuning file: the model would answer conversations that are already answered."""
    from rftkit.standin.errors import StandinError

    for param, stored in zip(("training_file", "validation_file"), files, strict=True):
        if stored.rows and is_supervised_row(stored.rows[0]):
            raise StandinError(400, f"invalid {param}: {stored.id} is a supervised (chat) fine-tuning file: line 1 "
                               "ends with the assistant's answer; reinforcement rows end with the user's request and "
                               "carry what the grader needs.", param=param, code="invalid_file")


def _epochs(body: dict[str, Any]) -> int:
    hyper = ((body["method"].get("supervised") or {}).get("hyperparameters") or {})
    value = hyper.get("n_epochs", "auto")
    return value if isinstance(value, int) else AUTO_EPOCHS


async def run_supervised(job: Any, state: Any) -> None:
    """Validating, queued, running, then the report; `job.trained_tokens` and `fine_tuned_model` are set."""
    from rftkit.standin.errors import StandinError
    from rftkit.standin.ids import new_id
    from rftkit.standin.state import StoredFile

    config = state.config
    body = job.request
    try:
        valid_id = body.get("validation_file")
        job.event(f"Validating training file: {body['training_file']}"
                  + (f" and validation file: {valid_id}" if valid_id else " (no validation file)"))
        await asyncio.sleep(config.status_delay)
        job.status = "queued"
        job.event("Job enqueued. Waiting for jobs ahead to complete.")
        await asyncio.sleep(config.status_delay)
        await job.resumed.wait()
        job.status = "running"
        job.event("Fine-tuning job started")
        job.event(DRY_RUN_NOTICE)
        train = state.files[body["training_file"]].rows
        valid = state.files[valid_id].rows if valid_id else []
        job.event(("Checks made on both files: " if valid_id else "Checks made on the training file: ")
                  + "; ".join(CHECKS) + ".")
        train_tokens = sum(count_row(row) for row in train)
        valid_tokens = sum(count_row(row) for row in valid)
        epochs = _epochs(body)
        job.trained_tokens = train_tokens * epochs
        report = {"dry_run": True, "trained": False, "weights_changed": False, "loss_curve": None,
                  "checks": list(CHECKS), "encoding": ENCODING,
                  "training": {"rows": len(train), "tokens": train_tokens},
                  "validation": {"rows": len(valid), "tokens": valid_tokens} if valid_id else None,
                  "n_epochs": epochs, "n_epochs_assumed": not isinstance(
                      ((body["method"].get("supervised") or {}).get("hyperparameters") or {}).get("n_epochs"), int),
                  "trained_tokens": job.trained_tokens}
        validation = (f"validation file: {len(valid)} examples, {valid_tokens:,} tokens" if valid_id
                      else "no validation file")
        job.event(f"Training file: {len(train)} examples, {train_tokens:,} tokens; {validation} ({ENCODING}). "
                  f"{epochs} epoch(s)"
                  f"{' (n_epochs auto: counted as 3)' if report['n_epochs_assumed'] else ''} -> trained tokens "
                  f"{job.trained_tokens:,}.", data=report)
        stored = StoredFile(new_id("file"), "sft_dry_run.json", "fine-tune-results",
                            (json.dumps(report, indent=2) + "\n").encode(), status="processed")
        try:
            state.add_file(stored)
            job.result_files.append(stored.id)
        except StandinError as exc:  # the stand-in's file quota: the job still ends, without its report file
            job.event(f"No result file: {exc.message}", level="warn")
        model = f"{body['model']}.ft-{job.id.removeprefix('ftjob-')}"
        if body.get("suffix"):
            model += f"-{body['suffix']}"
        job.fine_tuned_model = model
        job.event(f"New fine-tuned model created: {model} (dry run: a name only, the base model's weights).")
        job.finish("succeeded", "The job has successfully completed (dry run: nothing was trained).")
    except asyncio.CancelledError:
        if not job.finished:
            job.finish("cancelled", "Job cancelled: the stand-in is shutting down.")
        raise
    except Exception as exc:  # a bug in the stand-in must still end the job, visibly
        job.finish("failed", f"The job failed: internal error: {type(exc).__name__}: {exc}", level="error",
                   error={"code": "internal_error", "message": f"{type(exc).__name__}: {exc}", "param": None})
