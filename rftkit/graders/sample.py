"""The service's `sample` shape, built from a plain answer (as `graders/run` builds it from `model_sample`)."""

from __future__ import annotations

import json
from typing import Any


def sample_from_text(text: str) -> dict[str, Any]:
    """A sample whose final answer is `text`, with no tool calls.

    Same shape as the sample Azure sends to an endpoint grader (docs/service-contract.md#endpoint-grader).
    `output_json` is the parsed answer when `text` is a JSON object (the service fills it when the sample is valid
    JSON), else None.
    """
    try:
        parsed = json.loads(text)
    except (json.JSONDecodeError, TypeError):
        parsed = None
    return {
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text, "tool_calls": []},
                     "finish_reason": "stop"}],
        "output_text": text,
        "output_json": parsed if isinstance(parsed, dict) else None,
        "output_tools": [],
        "output_reasoning_summary": None,
    }
