"""The local grader engine: run the grader JSON of an RFT job on one sample, as the service would.

    validate_grader(grader) -> list[str]                      problems, "<field>: <why>"
    run_grader(grader, sample, item, *, trace_id, http_client) -> the service's `graders/run` response
    arun_grader(...)                                          the same, for asyncio (endpoint calls with httpx async)
    sample_from_text(text) -> sample                          the service's sample shape from a plain answer

Modules, one concept each: templates (`{{item.x}}`), text_similarity (and string_check), formula (multi's
`calculate_output`), endpoint (the one endpoint-grader caller), validation, engine (run_grader), result (the
response shape), presets (Job A / Job B graders), hacking (the reward-hacking check), io (the CLI's inputs and
tables). The `sample` shape is `rftkit.wire`'s.
Only fuzzy_match is known to equal the service; see text_similarity for the approximations.
"""

from __future__ import annotations

from rftkit.graders.engine import arun_grader, run_grader
from rftkit.graders.validation import validate_grader
from rftkit.wire import sample_from_text

__all__ = ["arun_grader", "run_grader", "sample_from_text", "validate_grader"]
