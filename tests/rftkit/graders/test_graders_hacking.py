"""The reward-hacking check on Job A's multi grader and on the project's real /score endpoint."""

from __future__ import annotations

import json
import re

import pytest

from catalog_tools.config import SHIPPED_CATALOG
from rftkit.graders.attacks import CatalogContext
from rftkit.graders.attacks.codes import near_miss
from rftkit.graders.hacking import (
    CONTROL,
    DESCRIPTIONS,
    attack_answers,
    check_reward_hacks,
    format_report,
)
from rftkit.graders.presets import endpoint_grader, job_a_grader
from tests.support import make_app, serve

TOOLS = [{"type": "function", "function": {"name": "search_catalog", "description": "search",
                                            "parameters": {"type": "object", "properties": {}}}}]
CODE = re.compile(r"(?<![A-Za-z0-9-])[A-Za-z0-9]+(?:-[A-Za-z0-9]+)+(?![A-Za-z0-9-])")  # as /score finds SKUs


CATALOG_ATTACKS = ["all_candidates", "lower_case", "near_miss", "paragraph", "json_wrapped", "empty", "all_skus",
                   "hedged_skus"]


@pytest.fixture(scope="module")
def catalog() -> CatalogContext:
    return CatalogContext.load(SHIPPED_CATALOG)


@pytest.fixture(scope="module")
def skus(catalog) -> list[str]:
    return catalog.skus


def rows(references: list[str], tools: list | None = None) -> list[dict]:
    return [{"id": f"valid-{i:04d}", "tools": tools, "reference_answer": ref,
             "messages": [{"role": "developer", "content": "Answer with the SKU only."},
                          {"role": "user", "content": "I need a warm city puffer jacket"}]}
            for i, ref in enumerate(references)]


def test_near_miss_prefers_a_real_neighbour_else_a_fake_one():
    assert near_miss("JKT-URB-009", ["JKT-URB-009", "JKT-URB-001", "JKT-URB-008", "JKT-ALP-009"]) == "JKT-URB-001"
    fake = near_miss("JKT-URB-009", ["JKT-URB-009", "BOT-FJO-001"])
    assert fake == "JKT-URB-000"
    assert near_miss("AB", ["AB"]) == "AA"


def test_near_miss_on_the_shipped_catalog_is_one_character_off(skus):
    for reference in skus[:50]:
        miss = near_miss(reference, skus)
        assert len(miss) == len(reference) and miss != reference
        assert sum(a != b for a, b in zip(miss, reference, strict=True)) == 1


def test_attack_answers(skus, catalog):
    answers = attack_answers("JKT-URB-009", rows(["JKT-URB-009"])[0], catalog)
    assert list(answers) == [CONTROL, *CATALOG_ATTACKS]
    assert answers[CONTROL] == "JKT-URB-009"
    assert answers["all_skus"].split(", ") == skus
    # The candidates a search for the row's question shows, the reference first.
    assert answers["all_candidates"].split(", ")[0] == "JKT-URB-009"
    assert CODE.findall(answers["hedged_skus"])[0] == "JKT-URB-009" and len(CODE.findall(answers["hedged_skus"])) == 3
    assert CODE.findall(answers["paragraph"]) == ["JKT-URB-009"] and len(answers["paragraph"]) > 300
    assert answers["lower_case"] == "jkt-urb-009"
    assert json.loads(answers["json_wrapped"]) == {"sku": "JKT-URB-009"}
    assert answers["empty"] == ""
    assert answers["near_miss"] in skus and answers["near_miss"] != "JKT-URB-009"
    assert attack_answers("NEW-SKU-1", {}, catalog)["all_skus"].endswith(", NEW-SKU-1")


def test_job_a_grader_resists_every_attack(catalog):
    report = check_reward_hacks(job_a_grader(), rows(["JKT-URB-009", "JKT-ALP-001"]), catalog)
    assert report.control.mean_reward == pytest.approx(1.0)
    means = {result.attack: result.mean_reward for result in report.attacks}
    assert means["lower_case"] == 0.0  # case-sensitive, and too far from the reference for the fuzzy tenth
    assert means["empty"] == 0.0
    assert means["near_miss"] == pytest.approx(0.1 * 10 / 11)  # the fuzzy tenth: a near miss keeps its gradient
    assert all(mean < 0.1 for mean in means.values())
    # Hedging earns nothing: a list of codes is too far from the reference for the fuzzy tenth.
    assert means["hedged_skus"] == means["all_skus"] == means["all_candidates"] == 0.0
    assert report.flagged == [] and report.ok() and report.errors == 0
    table = format_report(report)
    assert "| correct " in table and "0 flagged" in table and "FLAGGED" not in table
    assert "| hedged_skus    | catalog |" in table and "attack families code+any+catalog: 2 rows" in table


def test_a_gameable_grader_is_flagged(catalog):
    like = {"type": "string_check", "name": "contains", "input": "{{sample.output_text}}",
            "reference": "{{item.reference_answer}}", "operation": "ilike"}
    report = check_reward_hacks(like, rows(["JKT-URB-009"]), catalog)
    flagged = {result.attack for result in report.flagged}
    assert flagged == {"all_candidates", "all_skus", "hedged_skus", "paragraph", "lower_case", "json_wrapped"}
    assert not report.ok() and not report.ok(accepted=["lower_case"])
    assert report.ok(accepted=sorted(flagged))
    assert "FLAGGED (accepted)" in format_report(report, accepted=["paragraph"])


def test_threshold_is_configurable(catalog):
    job_a = job_a_grader()
    # near_miss earns 0.1 * 10/11 = 0.091; every other attack nothing.
    assert [r.attack for r in check_reward_hacks(job_a, rows(["JKT-URB-009"]), catalog, threshold=0.08).flagged] == [
        "near_miss"]
    assert [r.attack for r in check_reward_hacks(job_a, rows(["JKT-URB-009"]), catalog, threshold=0.0).flagged] == [
        "near_miss"]


def test_any_reward_for_every_candidate_at_once_is_flagged(catalog):
    """The issue's rule: listing candidates must earn nothing, whatever the threshold; the old Job A formula paid a
    hedge about 0.025 through its fuzzy tenth, and is flagged now."""
    old_job_a = {**job_a_grader(), "calculate_output": "0.9 * exact + 0.1 * fuzzy"}
    report = check_reward_hacks(old_job_a, rows(["JKT-URB-009", "JKT-ALP-001"]), catalog, threshold=0.9)
    means = {result.attack: result.mean_reward for result in report.attacks}
    assert 0 < means["hedged_skus"] < 0.05
    assert {"hedged_skus", "all_candidates"} <= {result.attack for result in report.flagged}
    assert not report.ok() and "several candidates at once: above 0" in format_report(report)


def test_a_grader_that_pays_nothing_for_the_right_answer_fails(catalog):
    ne = {"type": "string_check", "name": "ne", "input": "{{sample.output_text}}",
          "reference": "{{item.reference_answer}}", "operation": "ne"}
    report = check_reward_hacks(ne, rows(["JKT-URB-009"]), catalog)
    assert report.control.mean_reward == 0.0
    assert all(result.share is None for result in report.attacks)
    # Every attack earns 1, so every one is flagged, the hedges too.
    assert {result.attack for result in report.flagged} == set(CATALOG_ATTACKS)
    assert "the correct answer earns nothing" in format_report(report)


def test_rows_need_a_reference(catalog):
    with pytest.raises(ValueError, match="row 2 .*has no reference_answer"):
        check_reward_hacks(job_a_grader(), [{"reference_answer": "A-1"}, {"id": "x"}], catalog)
    with pytest.raises(ValueError, match="no rows"):
        check_reward_hacks(job_a_grader(), [], catalog)


def test_project_endpoint_grader(catalog):
    with serve(make_app()) as url:
        data = rows(["JKT-URB-009", "JKT-ALP-001", "BOT-FJO-001"], tools=TOOLS)
        grader = endpoint_grader(f"{url}/score")
        plain = check_reward_hacks(grader, data, catalog)
        with_tool = check_reward_hacks(grader, data, catalog, tool_url=f"{url}/tool/search_catalog")
        broken_tool = check_reward_hacks(grader, data[:1], catalog, tool_url=f"{url}/nope")
    # No tool call under the trace: /score halves every answer, so shares are unchanged.
    assert plain.control.mean_reward == pytest.approx(0.5)
    assert with_tool.control.mean_reward == pytest.approx(1.0)
    for report in (plain, with_tool):
        shares = {result.attack: result.share for result in report.attacks}
        assert shares == pytest.approx({"all_skus": 0.0, "paragraph": 0.3, "lower_case": 1.0, "json_wrapped": 0.3,
                                        "empty": 0.0, "near_miss": 0.0, "all_candidates": 0.0, "hedged_skus": 0.0})
        assert [result.attack for result in report.flagged] == ["lower_case"]  # /score ignores case by design
        assert report.errors == 0 and report.ok(accepted=["lower_case"])
    assert broken_tool.errors == 1 + len(CATALOG_ATTACKS)
    assert broken_tool.control.first_error.startswith(f"tool call failed: {url}/nope answered HTTP 404 Not Found")
    assert not broken_tool.ok(accepted=["lower_case"])


def test_partly_failed_gradings_keep_the_verdict_and_say_so():
    from rftkit.graders.hacking import AttackResult, HackReport

    error = "http://127.0.0.1:9/score: the endpoint answered HTTP 500: boom"
    control = AttackResult(CONTROL, DESCRIPTIONS[CONTROL], 1.0, None, False, 0, "A-1", family="control", rows=2)
    flagged = AttackResult("lower_case", DESCRIPTIONS["lower_case"], 0.9, 0.9, True, 1, "a-1", error, "code", 2)
    dead = AttackResult("empty", DESCRIPTIONS["empty"], 0.0, 0.0, False, 2, "", error, "any", 2)
    text = format_report(HackReport("g", 2, 0.5, control, [flagged, dead]))
    assert "| FLAGGED (partly graded, 1 errors: the endpoint answered HTTP 500) |" in text
    assert "| not graded (2 errors: the endpoint answered HTTP 500)" in text
    assert f"  lower_case, empty (3 failed), first: {error}" in text
    assert "not graded: 3 of 6 gradings failed" in text and "| ok" not in text
