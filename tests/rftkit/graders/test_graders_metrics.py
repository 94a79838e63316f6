"""string_check operations and text_similarity metrics against hand-computed values."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rapidfuzz import fuzz

from rftkit.graders import run_grader, sample_from_text
from rftkit.graders.text_similarity import METRICS, similarity, string_check


@pytest.mark.parametrize(("input_text", "reference", "operation", "expected"), [
    ("JKT-URB-009", "JKT-URB-009", "eq", 1.0),
    ("jkt-urb-009", "JKT-URB-009", "eq", 0.0),   # case-sensitive
    ("JKT-URB-009 ", "JKT-URB-009", "eq", 0.0),  # nothing trimmed
    ("JKT-URB-009", "JKT-URB-009", "ne", 0.0),
    ("JKT-URB-008", "JKT-URB-009", "ne", 1.0),
    ("The answer is JKT-URB-009.", "JKT-URB-009", "like", 1.0),
    ("The answer is jkt-urb-009.", "JKT-URB-009", "like", 0.0),
    ("JKT-URB", "JKT-URB-009", "like", 0.0),     # input must contain the reference, not the reverse
    ("The answer is jkt-urb-009.", "JKT-URB-009", "ilike", 1.0),
    ("The answer is JKT-URB-008.", "JKT-URB-009", "ilike", 0.0),
    ("anything", "", "like", 1.0),               # the empty string is contained in every string
    ("50% off", "5_%", "like", 0.0),             # no SQL wildcards
])
def test_string_check_operations(input_text, reference, operation, expected):
    assert string_check(input_text, reference, operation) == expected


def test_string_check_rejects_unknown_operation():
    with pytest.raises(ValueError, match="contains"):
        string_check("a", "a", "contains")


@pytest.mark.parametrize(("input_text", "reference", "expected"), [
    ("abcd", "abcd", 1.0),
    ("abcd", "abce", 0.75),                      # LCS 3: 1 - (8 - 2*3) / 8
    ("jkt-urb-009", "JKT-URB-009", 10 / 22),     # only "-", "-", "009" shared
    ("JKT-URB-008", "JKT-URB-009", 20 / 22),
    ("abc", "xyz", 0.0),
])
def test_fuzzy_match_hand_computed(input_text, reference, expected):
    assert similarity("fuzzy_match", input_text, reference) == pytest.approx(expected, abs=1e-12)
    assert similarity("fuzzy_match", input_text, reference) == fuzz.ratio(input_text, reference) / 100


@given(st.text(max_size=60), st.text(max_size=60))
def test_fuzzy_match_is_exactly_rapidfuzz_ratio_on_raw_strings(input_text, reference):
    assert similarity("fuzzy_match", input_text, reference) == fuzz.ratio(input_text, reference) / 100


def test_bleu_gleu_hand_computed():
    # 5 tokens each, last differs: p1..p4 = 4/5, 3/4, 2/3, 1/2; brevity penalty 1.
    assert similarity("bleu", "a b c d e", "a b c d f") == pytest.approx((0.8 * 0.75 * (2 / 3) * 0.5) ** 0.25)
    # GLEU = min(precision, recall) over 1..4-grams: 10 matching of 14 on both sides.
    assert similarity("gleu", "a b c d e", "a b c d f") == pytest.approx(10 / 14)
    assert similarity("gleu", "a b c d", "a b e f") == pytest.approx(3 / 10)
    assert similarity("bleu", "the cat sat on the mat", "the cat sat on the mat") == pytest.approx(1.0)
    # wordpunct tokens: a SKU is 5 tokens, so an exact SKU is a perfect BLEU.
    assert similarity("bleu", "JKT-URB-009", "JKT-URB-009") == pytest.approx(1.0)
    assert similarity("bleu", "", "JKT-URB-009") == 0.0


def test_meteor_uses_exact_and_stem_matches_only():
    penalty_one_chunk_of_three = 0.5 * (1 / 3) ** 3
    assert similarity("meteor", "a b c", "a b c") == pytest.approx(1 - penalty_one_chunk_of_three)
    # "cats" matches "cat" through the Porter stemmer.
    assert similarity("meteor", "the cats sat", "the cat sat") == pytest.approx(1 - penalty_one_chunk_of_three)
    # WordNet would pair big/large; without it only "dog" matches: P = R = 1/2, one chunk of one match.
    assert similarity("meteor", "big dog", "large dog") == pytest.approx(0.5 * (1 - 0.5))
    # 4 of 5 match: Fmean 0.8, one chunk of 4 matches -> penalty 0.5 * (1/4)^3.
    assert similarity("meteor", "a b c d e", "a b c d f") == pytest.approx(0.8 * (1 - 0.5 / 64))
    assert similarity("meteor", "", "a") == 0.0


@pytest.mark.parametrize(("metric", "expected"), [
    ("rouge_1", 0.5),       # unigrams a, b shared of 4 each
    ("rouge_2", 1 / 3),     # bigram "a b" shared of 3 each
    ("rouge_3", 0.0),
    ("rouge_l", 0.5),       # LCS "a b"
])
def test_rouge_hand_computed(metric, expected):
    assert similarity(metric, "a b c d", "a b e f") == pytest.approx(expected)


def test_rouge_lowercases_and_higher_orders():
    assert similarity("rouge_1", "A B", "a b") == pytest.approx(1.0)
    assert similarity("rouge_5", "a b c d e", "a b c d e") == pytest.approx(1.0)
    assert similarity("rouge_4", "a b c d e", "a b c d f") == pytest.approx(0.5)  # 1 of 2 four-grams
    assert similarity("rouge_5", "a b c d e", "a b c d f") == 0.0


def test_every_metric_scores_identical_text_high_and_in_range():
    for metric in METRICS:
        score = similarity(metric, "the quick brown fox jumps", "the quick brown fox jumps")
        assert 0.9 < score <= 1.0 + 1e-9, metric
        assert 0.0 <= similarity(metric, "qq zz", "alpha beta") < 0.2, metric


def test_cosine_and_unknown_metrics_are_rejected():
    with pytest.raises(ValueError, match="evals only"):
        similarity("cosine", "a", "a")
    with pytest.raises(ValueError, match="unknown evaluation_metric"):
        similarity("jaccard", "a", "a")


def test_text_similarity_grader_reports_metric_and_pass_flag():
    grader = {"type": "text_similarity", "name": "fuzzy", "input": "{{sample.output_text}}",
              "reference": "{{item.reference_answer}}", "evaluation_metric": "fuzzy_match", "pass_threshold": 0.9}
    item = {"reference_answer": "JKT-URB-009"}
    near = run_grader(grader, sample_from_text("JKT-URB-008"), item)
    assert near["reward"] == pytest.approx(20 / 22)
    assert near["metadata"]["scores"] == {"fuzzy_match": near["reward"], "passed": True}
    lower = run_grader(grader, sample_from_text("jkt-urb-009"), item)
    assert lower["metadata"]["scores"]["passed"] is False
    assert math.isclose(lower["reward"], 10 / 22)
