"""The pure scoring function, case by case."""

from __future__ import annotations

import pytest

from catalog_tools.grading import (
    SkuMatcher,
    Weights,
    answer_credit,
    extract_answer,
    grade,
    normalize,
    reference_of,
    tool_factor,
)

REF = "JKT-URB-009"
W = Weights()


@pytest.mark.parametrize("answer", [
    "JKT-URB-009", "  JKT-URB-009\n", "jkt-urb-009", '"JKT-URB-009"', "'JKT-URB-009'", "`JKT-URB-009`",
    "JKT-URB-009.", "```\nJKT-URB-009\n```", "```text\nJKT-URB-009\n```", "**JKT-URB-009**",
])
def test_exact_answer_variants_pay_in_full(answer):
    assert answer_credit(answer, REF, W) == (1.0, "exact")


@pytest.mark.parametrize("answer", ["The SKU is JKT-URB-009.", '{"sku": "JKT-URB-009"}',
                                    "I recommend the Urban Puffer (JKT-URB-009) because it is warm."])
def test_reference_in_prose_pays_partial_credit(answer):
    assert answer_credit(answer, REF, W) == (W.prose_credit, "embedded")


@pytest.mark.parametrize("answer", ["JKT-URB-009, JKT-ALP-001", "JKT-ALP-001 or JKT-URB-009 or JKT-ALP-002",
                                    "- JKT-URB-009\n- JKT-URB-008"])
def test_hedging_pays_nothing(answer):
    assert answer_credit(answer, REF, W) == (0.0, "hedged")


@pytest.mark.parametrize("answer", ["JKT-URB-008", "JKT-URB-0091", "JKT-ALP-001", "urban puffer", "JKTURB009"])
def test_wrong_and_near_miss_pay_nothing(answer):
    assert answer_credit(answer, REF, W) == (0.0, "wrong")


@pytest.mark.parametrize("answer", ["", "   ", "``````", '""'])
def test_empty_pays_nothing(answer):
    assert answer_credit(answer, REF, W) == (0.0, "empty")


def test_non_code_reference_matches_as_a_word():
    assert answer_credit("42", "42", W) == (1.0, "exact")
    assert answer_credit("The answer is 42.", "42", W) == (W.prose_credit, "embedded")
    assert answer_credit("The answer is 420.", "42", W)[1] == "wrong"


def test_normalize():
    assert normalize('  "JKT-URB-009".  ') == "JKT-URB-009"
    assert normalize("```json\n\"JKT-URB-009\"\n```") == "JKT-URB-009"


def test_extract_answer_sources():
    assert extract_answer({"output_text": "A-1"}) == ("A-1", "output_text")
    assert extract_answer({"output_text": "", "output_json": {"sku": "A-2"}}) == ("A-2", "output_json.sku")
    assert extract_answer({"output_text": " ", "output_json": "A-3"}) == ("A-3", "output_json")
    msg = {"choices": [{"message": {"content": "A-4"}}]}
    assert extract_answer({"output_text": "", "output_json": None, **msg}) == ("A-4", "choices[0].message.content")
    parts = {"choices": [{"message": {"content": [{"type": "output_text", "text": "A-5"}]}}]}
    assert extract_answer(parts) == ("A-5", "choices[0].message.content")
    assert extract_answer({}) == ("", "none")
    assert extract_answer({"output_text": None, "choices": "junk"}) == ("", "none")


def test_tool_factor():
    assert tool_factor(0, False, W) == 1.0  # no tool offered: no requirement
    assert tool_factor(0, True, W) == W.no_tool_factor
    assert tool_factor(1, True, W) == tool_factor(W.free_tool_calls, True, W) == 1.0
    assert tool_factor(W.free_tool_calls + 2, True, W) == pytest.approx(1 - 2 * W.extra_call_penalty)
    assert tool_factor(1000, True, W) == W.min_call_factor


def test_grade_combines_components():
    used = grade({"output_text": REF}, REF, tool_calls=1, tool_offered=True)
    skipped = grade({"output_text": REF}, REF, tool_calls=0, tool_offered=True)
    chatty = grade({"output_text": REF}, REF, tool_calls=6, tool_offered=True)
    assert used.score == 1.0 > chatty.score > skipped.score > 0
    assert grade({"output_text": "JKT-ALP-001"}, REF, 1, True).score == 0.0
    prose = grade({"output_text": f"It is {REF}"}, REF, 1, True)
    assert prose.score == W.prose_credit and prose.components == {"answer": W.prose_credit, "tool_use": 1.0}


def test_custom_weights():
    w = Weights(prose_credit=0.0, no_tool_factor=0.0)
    assert grade({"output_text": f"It is {REF}"}, REF, 1, True, w).score == 0.0
    assert grade({"output_text": REF}, REF, 0, True, w).score == 0.0


def test_reference_of():
    assert reference_of({"reference_answer": " JKT-URB-009 "}) == " JKT-URB-009 "
    for bad in ({}, {"reference_answer": 42}, {"reference_answer": ""}, {"reference_answer": "  "},
                {"reference_answer": None},
                {"reference_answer": True}, {"reference_answer": ["x"]}):
        assert reference_of(bad) is None


@pytest.mark.parametrize("skus", [
    ["GRDBUR001", "GRDBUR002", "KTLGOO006"],   # no hyphens
    ["12345", "12346", "20001"],               # digits only
    ["ab-12", "ab-13", "cd-20"],               # short, lower case
    ["A_1/x", "A_2/x", "B_9/y"],               # other separators
])
def test_hedging_earns_nothing_whatever_the_sku_format(skus):
    codes = SkuMatcher(skus)
    reference, other, third = skus
    weights = Weights()

    def credit(answer: str) -> float:
        return answer_credit(answer, reference, weights, codes)[0]

    assert credit(reference) == 1.0 and credit(f" {reference.lower()}. ") == 1.0
    assert credit(", ".join(skus)) == 0.0 and credit(f"{reference} or {other}") == 0.0
    assert credit(f"{other}\n{reference}\n{third}") == 0.0
    assert credit(other) == 0.0
    assert credit(f"The product is {reference}.") == weights.prose_credit  # the one code, in prose


def test_an_invented_code_written_like_the_reference_is_a_code():
    codes = SkuMatcher(["GRDBUR001", "GRDBUR002"])
    assert answer_credit("GRDBUR001 or GRDBUR011", "GRDBUR001", Weights(), codes) == (0.0, "hedged")
    assert answer_credit("Item GRDBUR001, 2 in stock", "GRDBUR001", Weights(), codes) == (0.3, "embedded")
