"""The two text graders: `string_check` and the `text_similarity` metrics, each a score in [0, 1] of the rendered
input against the rendered reference.

`string_check` is 1.0 or 0.0, nothing trimmed: `eq` input == reference (case-sensitive), `ne` input != reference,
`like` reference occurs in input (case-sensitive "contains", not SQL wildcards), `ilike` the same ignoring case.

`text_similarity`:

Only `fuzzy_match` is known to equal the service: `rapidfuzz.fuzz.ratio(input, reference) / 100` on the raw strings
(docs/service-contract.md#built-in-graders). The service does not document the code behind the others, so these
are approximations with the libraries its python-grader image ships:

- bleu, gleu: nltk `sentence_bleu` (uniform 1-4-gram weights, no smoothing) and `sentence_gleu` (1-4-grams) over
  `wordpunct_tokenize` tokens (a regex tokenizer: `JKT-URB-009` -> `JKT - URB - 009`; case kept).
- meteor: nltk `single_meteor_score` on the same tokens (lower-cased by nltk) with exact and Porter-stem matching
  only: METEOR's synonym stage needs the WordNet corpus, which is downloaded at run time and cannot be here, so a
  WordNet stand-in with no synonyms is passed. Scores can be lower than the service's when synonyms would match.
- rouge_1 .. rouge_5, rouge_l: the F-measure of Google's `rouge-score` (its own lower-casing tokenizer, no stemming).

`cosine` needs an embedding model and is for evals only, not RFT: it is rejected here.
"""

from __future__ import annotations

import warnings
from functools import cache
from typing import Any

from rapidfuzz import fuzz

ROUGE_METRICS = {"rouge_1": "rouge1", "rouge_2": "rouge2", "rouge_3": "rouge3", "rouge_4": "rouge4",
                 "rouge_5": "rouge5", "rouge_l": "rougeL"}
OPERATIONS = ("eq", "ne", "like", "ilike")  # string_check
METRICS = ("fuzzy_match", "bleu", "gleu", "meteor", *ROUGE_METRICS)
EVALS_ONLY_METRICS = ("cosine",)


def string_check(input_text: str, reference: str, operation: str) -> float:
    if operation == "eq":
        return float(input_text == reference)
    if operation == "ne":
        return float(input_text != reference)
    if operation == "like":
        return float(reference in input_text)
    if operation == "ilike":
        return float(reference.lower() in input_text.lower())
    raise ValueError(f"unknown string_check operation {operation!r} (expected one of {', '.join(OPERATIONS)})")


class _NoSynonyms:
    """Answers nltk METEOR's only WordNet question (`synsets(word)`) with "no synonyms"."""

    def synsets(self, word: str) -> list[Any]:
        return []


def _tokens(text: str) -> list[str]:
    from nltk.tokenize import wordpunct_tokenize

    return wordpunct_tokenize(text)


@cache
def _rouge_scorer(kind: str) -> Any:
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer([kind], use_stemmer=False)


def similarity(metric: str, input_text: str, reference: str) -> float:
    """The metric's score of `input_text` against `reference`."""
    if metric == "fuzzy_match":
        return fuzz.ratio(input_text, reference) / 100
    if metric in ROUGE_METRICS:
        kind = ROUGE_METRICS[metric]
        return float(_rouge_scorer(kind).score(reference, input_text)[kind].fmeasure)
    if metric in ("bleu", "gleu", "meteor"):
        hypothesis, references = _tokens(input_text), [_tokens(reference)]
        if not hypothesis or not references[0]:
            return 0.0
        return _nltk_metric(metric, references, hypothesis)
    if metric in EVALS_ONLY_METRICS:
        raise ValueError(f"evaluation_metric {metric!r} is for evals only, not reinforcement fine-tuning")
    raise ValueError(f"unknown evaluation_metric {metric!r} (expected one of {', '.join(METRICS)})")


def _nltk_metric(metric: str, references: list[list[str]], hypothesis: list[str]) -> float:
    from nltk.translate.bleu_score import sentence_bleu
    from nltk.translate.gleu_score import sentence_gleu
    from nltk.translate.meteor_score import meteor_score

    if metric == "gleu":
        return float(sentence_gleu(references, hypothesis))
    if metric == "meteor":
        return float(meteor_score(references, hypothesis, wordnet=_NoSynonyms()))
    with warnings.catch_warnings():  # nltk warns on every short answer without 4-gram overlap
        warnings.simplefilter("ignore", UserWarning)
        return float(sentence_bleu(references, hypothesis))
