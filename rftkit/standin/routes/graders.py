"""/fine_tuning/alpha/graders/validate and /run, computed by the local grader engine (`rftkit.graders`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from rftkit.jobs.builders import grader_problems
from rftkit.standin.body import read_standin_json_object
from rftkit.standin.errors import StandinError, invalid

router = APIRouter(tags=["graders"])
PREFIX = "/fine_tuning/alpha/graders"


def _checked_grader(body: dict[str, Any]) -> dict[str, Any]:
    if "grader" not in body:
        raise StandinError(400, "Missing required parameter: 'grader'.", param="grader",
                           code="missing_required_parameter")
    problems = grader_problems(body["grader"], param="grader")
    if problems:
        raise invalid(problems, code="invalid_grader")
    return body["grader"]


@router.post(PREFIX + "/validate")
async def validate(request: Request) -> dict[str, Any]:
    return {"grader": _checked_grader(await read_standin_json_object(request))}


@router.post(PREFIX + "/run")
async def run(request: Request) -> dict[str, Any]:
    from rftkit.graders import arun_grader, sample_from_text

    body = await read_standin_json_object(request)
    grader = _checked_grader(body)
    sample = body.get("model_sample")
    if not isinstance(sample, str):
        raise StandinError(400, "model_sample must be a string (the model's output text).", param="model_sample",
                           code="missing_required_parameter" if sample is None else "invalid_value")
    item = body.get("item", {})
    if item is not None and not isinstance(item, dict):
        raise StandinError(400, "item must be a JSON object (the dataset row).", param="item", code="invalid_value")
    return await arun_grader(grader, sample_from_text(sample), item or {})
