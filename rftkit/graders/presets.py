"""The graders of the two sample jobs (docs/service-contract.md#built-in-graders), as the job builders submit them."""

from __future__ import annotations

from typing import Any

# The fuzzy tenth pays only answers at least 80 % similar to the reference (floor(fuzzy + 0.2) is 1 from 0.8 up):
# a near miss of a character or two keeps its gradient, while a list of codes, at most 2L / (3L + 1) < 67 %
# similar to an L-character reference when the codes have about the same length, earns nothing. The plain
# `0.9 * exact + 0.1 * fuzzy` paid every hedge about 0.025, and a policy paid for listing learns to list.
JOB_A_FORMULA = "0.9 * exact + 0.1 * fuzzy * floor(fuzzy + 0.2)"


def job_a_grader() -> dict[str, Any]:
    """Job A: 0.9 x exact SKU match (case-sensitive) + 0.1 x fuzzy similarity when the answer is within 80 % of the
    reference (a near miss); 0 when grading fails."""
    answer, reference = "{{sample.output_text}}", "{{item.reference_answer}}"
    return {
        "type": "multi",
        "name": "job_a_exact_and_fuzzy",
        "graders": {
            "exact": {"type": "string_check", "name": "exact", "input": answer, "reference": reference,
                      "operation": "eq"},
            "fuzzy": {"type": "text_similarity", "name": "fuzzy", "input": answer, "reference": reference,
                      "evaluation_metric": "fuzzy_match"},
        },
        "calculate_output": JOB_A_FORMULA,
        "invalid_grade": 0.0,
    }


def endpoint_grader(url: str, name: str = "catalog_grader", rate_limit: int = 50) -> dict[str, Any]:
    """Job B: the project's `/score` endpoint grader; no headers.

    The service may not forward them: docs/service-contract.md#where-the-sources-disagree.
    """
    return {"type": "endpoint", "name": name, "url": url, "rate_limit": rate_limit}
