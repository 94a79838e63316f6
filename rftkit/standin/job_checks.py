"""Checks on `POST /fine_tuning/jobs`, in the order the service reports them; the first failing stage is a 400."""

from __future__ import annotations

from typing import Any

from rftkit.data.row_rules import row_count_finding
from rftkit.jobs.builders import spec_problems
from rftkit.jobs.rules import RFT_MODELS, Problem, is_known_model
from rftkit.standin.errors import StandinError, invalid
from rftkit.standin.state import StandinState, StoredFile


def _required(body: dict[str, Any]) -> None:
    for key in ("model", "training_file"):
        if not isinstance(body.get(key), str) or not body[key]:
            raise StandinError(400, f"Missing required parameter: '{key}'.", param=key,
                               code="missing_required_parameter")
    method = body.get("method")
    if not isinstance(method, dict) or method.get("type") != "reinforcement":
        got = method.get("type") if isinstance(method, dict) else method
        raise StandinError(400, f"method.type must be 'reinforcement' (this stand-in runs reinforcement fine-tuning "
                            f"only); got {got!r}.", param="method.type", code="invalid_value")
    if not isinstance(body.get("validation_file"), str) or not body["validation_file"]:
        raise StandinError(400, "A validation_file is required for reinforcement fine-tuning.",
                           param="validation_file", code="missing_required_parameter")


def _model(state: StandinState, model: str) -> None:
    if is_known_model(model) or state.config.allow_any_model:
        return
    raise StandinError(400, f"The model {model!r} does not support reinforcement fine-tuning. Supported models: "
                        f"{', '.join(RFT_MODELS)} (gpt-5 in preview). To try another model with this stand-in, "
                        "start it with --allow-any-model.", param="model", code="model_not_supported")


def _file(state: StandinState, body: dict[str, Any], param: str) -> StoredFile:
    file_id = body[param]
    stored = state.files.get(file_id)
    if stored is None:
        raise StandinError(400, f"invalid {param}: no file {file_id!r}.", param=param, code="invalid_file")
    if stored.purpose != "fine-tune":
        raise StandinError(400, f"invalid {param}: {file_id} was uploaded with purpose {stored.purpose!r}, "
                            "not 'fine-tune'.", param=param, code="invalid_file")
    if stored.status != "processed":
        if stored.status == "error":
            raise StandinError(400, f"invalid {param}: {file_id} failed validation: {stored.status_details}",
                               param=param, code="invalid_file")
        raise StandinError(400, f"{param} {file_id} is still being processed (status {stored.status!r}): "
                            "wait for 'processed'.", param=param, code="file_not_ready")
    too_many = row_count_finding(len(stored.rows), "train" if param == "training_file" else "valid")
    if too_many:
        raise StandinError(400, f"invalid {param}: {too_many.message}.", param=param, code="invalid_file")
    return stored


def _metadata_problems(metadata: Any) -> list[Problem]:
    if metadata is None:
        return []
    if not isinstance(metadata, dict) or len(metadata) > 16 or not all(
            isinstance(k, str) and len(k) <= 64 and isinstance(v, str) and len(v) <= 512 for k, v in metadata.items()):
        return [Problem("metadata", "must be at most 16 string keys (≤ 64 chars) with string values (≤ 512 chars)")]
    return []


def check_create(body: Any, state: StandinState) -> tuple[StoredFile, StoredFile | None]:
    """Raise `StandinError` (400) for the first failing stage; return the (training, validation) files (a
    supervised job's validation file is optional: None without one)."""
    if not isinstance(body, dict):
        raise StandinError(400, "The request body must be a JSON object.", code="invalid_value")
    if isinstance(body.get("method"), dict) and body["method"].get("type") == "supervised":
        from rftkit.sft.standin import check_create as check_supervised

        return check_supervised(body, state)
    _required(body)
    _model(state, body["model"])
    training, validation = _file(state, body, "training_file"), _file(state, body, "validation_file")
    from rftkit.sft.standin import refuse_for_reinforcement

    refuse_for_reinforcement((training, validation))
    problems = spec_problems(body, training.rows + validation.rows) + _metadata_problems(body.get("metadata"))
    if problems:
        grader_first = problems[0].param.startswith("method.reinforcement.grader")
        raise invalid(problems, code="invalid_grader" if grader_first else "invalid_value")
    return training, validation
