"""The endpoint grader's scoring: a pure function of the model's answer, the reference and the tool use.

    score = answer_credit x tool_factor, in [0, 1]

answer_credit
    1.0           the answer is exactly the reference SKU (ignoring whitespace, quotes, code fences, a trailing
                  period and case);
    prose_credit  the reference is the only SKU in an answer that says more than the SKU (the policy asks
                  for the SKU alone);
    0.0           anything else: a wrong or near-miss SKU, several SKUs (hedging: listing candidates must not
                  pay), an empty answer.
    A "SKU" in an answer is any code of the catalog (`SkuMatcher`: any format, `GRDBUR001`, `12345`, `ab-12`), a
    token written like the reference (same length, digits and letters in the same places: `GRDBUR011` beside
    `GRDBUR001`, even when not in the catalog) or anything shaped like letter/digit groups joined by hyphens
    (`JKT-URB-009`).
tool_factor (only when the row offered tools; the policy says "call the tool first")
    no_tool_factor                                      no tool call recorded for the rollout's trace_id;
    1.0                                                 1 .. free_tool_calls calls;
    max(min_call_factor, 1 - extra_call_penalty x k)    k calls beyond free_tool_calls.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

_FENCE = re.compile(r"^```[A-Za-z0-9_-]*\s*(.*?)\s*```$", re.DOTALL)
# Product codes: letter/digit groups joined by hyphens (JKT-URB-009).
_CODE = re.compile(r"(?<![A-Za-z0-9-])[A-Za-z0-9]+(?:-[A-Za-z0-9]+)+(?![A-Za-z0-9-])")
_STRIP = " \t\r\n\"'`*"


class SkuMatcher:
    """Finds a catalog's product codes in a text, whatever their format, case-insensitively.

    A code is found as a whole token: letter/digit runs joined by the separators the catalog's SKUs use (so in
    "ab-12-x" the code "ab-12" is not found, as the hyphen pattern never split a code). Codes that are not such a
    token (with spaces, say) are searched for one by one."""

    def __init__(self, skus: Iterable[str]):
        self.skus = {sku.strip().upper() for sku in skus if sku.strip()}
        separators = sorted({ch for sku in self.skus for ch in sku if not (ch.isalnum() or ch.isspace())})
        joint = f"[{re.escape(''.join(separators))}]" if separators else None
        group = r"[A-Za-z0-9]+"
        self._token = re.compile(rf"(?<![A-Za-z0-9]){group}(?:{joint}{group})*(?![A-Za-z0-9])" if joint
                                 else rf"(?<![A-Za-z0-9]){group}(?![A-Za-z0-9])")
        self._irregular = [(sku, re.compile(rf"(?<![A-Za-z0-9]){re.escape(sku)}(?![A-Za-z0-9])", re.IGNORECASE))
                           for sku in sorted(self.skus) if not self._token.fullmatch(sku)]

    def find(self, text: str, like: str | None = None) -> set[str]:
        """The catalog codes in `text`, upper-cased; with `like` (a code with a digit), also every token written
        like it, in the catalog or not (an invented code in a hedge is still a code)."""
        tokens = {token.upper() for token in self._token.findall(text)}
        found = tokens & self.skus
        found.update(sku for sku, pattern in self._irregular if pattern.search(text))
        if like is not None and any(ch.isdigit() for ch in like):
            shape = _shape(like)
            found.update(token for token in tokens if _shape(token) == shape)
        return found


def _shape(code: str) -> str:
    """A code's writing: each letter A, each digit 9, other characters kept ("GRDBUR001" -> "AAAAAA999")."""
    return "".join("A" if ch.isalpha() else "9" if ch.isdigit() else ch for ch in code.upper())


@dataclass(frozen=True)
class Weights:
    prose_credit: float = 0.3
    no_tool_factor: float = 0.5
    free_tool_calls: int = 3
    extra_call_penalty: float = 0.05
    min_call_factor: float = 0.7


@dataclass(frozen=True)
class Grade:
    score: float
    answer: str
    answer_source: str
    verdict: str
    components: dict[str, float]


def _text_of(content: Any) -> str:
    """Message content as text: a string, or the text parts of a content list."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict)
                       and isinstance(part.get("text"), str))
    return ""


def extract_answer(sample: dict[str, Any]) -> tuple[str, str]:
    """The final answer and where it came from: output_text, else output_json, else choices[0] content."""
    text = sample.get("output_text")
    if isinstance(text, str) and text.strip():
        return text, "output_text"
    output_json = sample.get("output_json")
    if isinstance(output_json, dict):
        for key in ("sku", "answer", "final_answer", "reference_answer"):
            if isinstance(output_json.get(key), str):
                return output_json[key], f"output_json.{key}"
        if output_json:
            return json.dumps(output_json), "output_json"
    elif isinstance(output_json, str) and output_json.strip():
        return output_json, "output_json"
    choices = sample.get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        message = choices[0].get("message")
        if isinstance(message, dict):
            content = _text_of(message.get("content"))
            if content.strip():
                return content, "choices[0].message.content"
    return "", "none"


def normalize(answer: str) -> str:
    """Strip what a model wraps around a bare answer: whitespace, code fences, quotes, a trailing period."""
    text = answer.strip()
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group(1)
    text = text.strip(_STRIP)
    while text and text[-1] in ".!;,":
        text = text[:-1].rstrip(_STRIP)
    return text.strip(_STRIP)


def answer_credit(answer: str, reference: str, weights: Weights,
                  catalog_codes: SkuMatcher | None = None) -> tuple[float, str]:
    """Credit for the answer alone, and a one-word verdict. `catalog_codes` makes every code of the catalog count
    as a SKU when the answer names several (without it, only hyphenated codes do)."""
    bare = normalize(answer)
    ref = normalize(reference)
    if not bare:
        return 0.0, "empty"
    if bare.upper() == ref.upper():
        return 1.0, "exact"
    codes = {c.upper() for c in _CODE.findall(bare)}
    if catalog_codes is not None:
        codes |= catalog_codes.find(bare, like=ref)
    if _CODE.fullmatch(ref):
        found = ref.upper() in codes
    else:
        found = re.search(rf"(?<![A-Za-z0-9-]){re.escape(ref)}(?![A-Za-z0-9-])", bare, re.IGNORECASE) is not None
    if not found:
        return 0.0, "wrong"
    if codes - {ref.upper()}:
        return 0.0, "hedged"
    return weights.prose_credit, "embedded"


def tool_factor(tool_calls: int, tool_offered: bool, weights: Weights) -> float:
    if not tool_offered:
        return 1.0
    if tool_calls <= 0:
        return weights.no_tool_factor
    extra = tool_calls - weights.free_tool_calls
    if extra <= 0:
        return 1.0
    return max(weights.min_call_factor, 1.0 - weights.extra_call_penalty * extra)


def tools_offered(item: dict[str, Any]) -> bool:
    """The row offered a tool (the service sends `tools: null` for rows without tools)."""
    tools = item.get("tools")
    return isinstance(tools, list) and len(tools) > 0


def reference_of(item: dict[str, Any]) -> str | None:
    """The usable reference answer of a row, or None."""
    ref = item.get("reference_answer")
    if isinstance(ref, str) and normalize(ref):
        return ref
    return None


def grade(sample: dict[str, Any], reference: str, tool_calls: int, tool_offered: bool,
          weights: Weights | None = None, catalog_codes: SkuMatcher | None = None) -> Grade:
    """Score one sample. Pure: same inputs, same grade."""
    weights = weights or Weights()
    answer, source = extract_answer(sample)
    credit, verdict = answer_credit(answer, reference, weights, catalog_codes)
    factor = tool_factor(tool_calls, tool_offered, weights)
    score = min(1.0, max(0.0, round(credit * factor, 6)))
    return Grade(score, normalize(answer), source, verdict, {"answer": credit, "tool_use": factor})
