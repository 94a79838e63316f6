"""`python -m rftkit grade` and `python -m rftkit reward-hacks`: output, matching, and exit codes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from rftkit import REPO_ROOT
from rftkit.__main__ import main
from rftkit.graders.presets import job_a_grader
from tests.support import free_port, make_app, serve


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


@pytest.fixture()
def data(tmp_path) -> Path:
    return write_jsonl(tmp_path / "valid.jsonl", [
        {"id": "valid-0001", "messages": [{"role": "user", "content": "puffer?"}], "reference_answer": "JKT-URB-009"},
        {"id": "valid-0002", "messages": [{"role": "user", "content": "alpine?"}], "reference_answer": "JKT-ALP-001"},
    ])


def test_grade_one_answer(capsys):
    assert main(["grade", "--grader", "job-a", "--answer", "JKT-URB-009", "--reference", "JKT-URB-009"]) == 0
    out = capsys.readouterr().out
    assert "| answer | 1.0000 | exact=1.000, fuzzy=1.000 | -      | JKT-URB-009 |" in out
    assert "mean reward 1.0000 over 1 row" in out


def test_grade_one_answer_with_an_item_and_full_json(capsys, tmp_path):
    item = tmp_path / "item.json"
    item.write_text(json.dumps({"reference_answer": "JKT-URB-009"}), encoding="utf-8")
    assert main(["grade", "--grader", "job-a", "--answer", "JKT-URB-008", "--item", str(item), "--json"]) == 0
    out = capsys.readouterr().out
    full = json.loads(out[:out.index("\n}\n") + 2])
    assert full["reward"] == pytest.approx(0.1 * 20 / 22) and full["sub_rewards"]["exact"] == 0.0  # a near miss
    assert "mean reward 0.0909 over 1 row" in out


def test_grade_a_file_of_answers_matched_by_id(capsys, tmp_path, data):
    answers = write_jsonl(tmp_path / "answers.jsonl", [
        {"id": "valid-0002", "answer": "JKT-ALP-001"},
        {"id": "valid-0001", "output_text": "JKT-URB-008"},
    ])
    assert main(["grade", "--grader", "job-a", "--answers", str(answers), "--data", str(data)]) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.startswith("| valid-")]
    assert lines[0].startswith("| valid-0002 | 1.0000 ") and lines[1].startswith("| valid-0001 | 0.0909 ")
    assert f"mean reward {(1.0 + 0.1 * 20 / 22) / 2:.4f} over 2 rows" in out


def test_grade_a_file_of_answers_by_line_order(capsys, tmp_path, data):
    grader = tmp_path / "grader.json"
    grader.write_text(json.dumps({"grader": job_a_grader()}), encoding="utf-8")  # graders.validate's shape
    answers = write_jsonl(tmp_path / "answers.jsonl", [{"answer": "JKT-URB-009"}, {"answer": "wrong"}])
    assert main(["grade", "--grader", str(grader), "--answers", str(answers), "--data", str(data)]) == 0
    out = capsys.readouterr().out
    assert "| valid-0001 | 1.0000 " in out and "| valid-0002 | 0.0000 " in out
    assert "mean reward 0.5000 over 2 rows" in out


@pytest.mark.parametrize(("answers", "message"), [
    ([{"id": "valid-0009", "answer": "x"}], "ids not in"),
    ([{"answer": "x"}] * 3, "has 3 answers but"),
    ([{"reply": "x"}], "answer 1 has no `answer`"),
])
def test_grade_rejects_bad_answer_files(capsys, tmp_path, data, answers, message):
    path = write_jsonl(tmp_path / "answers.jsonl", answers)
    assert main(["grade", "--grader", "job-a", "--answers", str(path), "--data", str(data)]) == 2
    assert message in capsys.readouterr().err


def test_grade_rejects_invalid_graders_and_inputs(capsys, tmp_path):
    bad = json.dumps({**job_a_grader(), "calculate_output": "exact ** 2"})
    assert main(["grade", "--grader", bad, "--answer", "x", "--reference", "x"]) == 2
    assert "calculate_output: unexpected '*'" in capsys.readouterr().err
    assert main(["grade", "--grader", str(tmp_path / "missing.json"), "--answer", "x", "--reference", "x"]) == 2
    assert "cannot read" in capsys.readouterr().err
    assert main(["grade", "--grader", "job-a", "--answer", "x"]) == 2
    assert "--answer needs --reference or --item" in capsys.readouterr().err


def test_grade_against_the_endpoint(capsys):
    with serve(make_app()) as url:
        code = main(["grade", "--grader", f"{url}/score", "--header", "X-Functions-Key: unused",
                     "--answer", "The best match is JKT-URB-009.", "--reference", "JKT-URB-009"])
    assert code == 0
    assert "| answer | 0.3000 |" in capsys.readouterr().out
    down = f"http://127.0.0.1:{free_port()}/score"
    assert main(["grade", "--grader", down, "--answer", "JKT-URB-009", "--reference", "JKT-URB-009"]) == 1
    assert "(1 with errors)" in capsys.readouterr().out


def test_reward_hacks_on_job_a_passes(capsys, data):
    assert main(["reward-hacks", "--grader", "job-a", "--data", str(data)]) == 0
    out = capsys.readouterr().out
    assert "| correct        | control | the reference answer alone (control)" in out
    assert "0 flagged" in out and "attack families code+any: 2 rows" in out  # not shipped data: no catalog


def test_reward_hacks_on_the_endpoint_flags_lower_case(capsys, data):
    with serve(make_app()) as url:
        flagged = main(["reward-hacks", "--grader", f"{url}/score", "--data", str(data)])
        flagged_out = capsys.readouterr().out
        accepted = main(["reward-hacks", "--grader", f"{url}/score", "--data", str(data), "--accept", "lower_case",
                         "--tool-url", f"{url}/tool/search_catalog"])
        accepted_out = capsys.readouterr().out
    assert flagged == 1 and "| lower_case " in flagged_out and "FLAGGED" in flagged_out
    assert accepted == 0 and "FLAGGED (accepted)" in accepted_out
    assert re.search(r"\| correct +\| control \| the reference answer alone \(control\) +\| 1\.000 ", accepted_out)


def test_reward_hacks_usage_errors(capsys, tmp_path, data):
    assert main(["reward-hacks", "--grader", "job-a", "--data", str(tmp_path / "none.jsonl")]) == 2
    assert main(["reward-hacks", "--grader", "job-a", "--data", str(data), "--accept", "uppercase"]) == 2
    assert "not an attack" in capsys.readouterr().err


def test_commands_run_as_a_module(data):
    done = subprocess.run([sys.executable, "-m", "rftkit", "reward-hacks", "--grader", "job-a", "--data", str(data),
                           "--limit", "1"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "job_a_exact_and_fuzzy: 1 row; " in done.stdout


def test_grade_says_why_the_endpoint_paid_less(capsys, tmp_path):
    from tests.rollouts_support import make_row, misbehaving_app

    data = write_jsonl(tmp_path / "data.jsonl", [make_row("row-1", "The Urban Puffer's SKU?", "JKT-URB-009")])
    answers = write_jsonl(tmp_path / "answers.jsonl", [{"answer": "JKT-URB-009"}])
    args = ["--answers", str(answers), "--data", str(data)]
    with serve(make_app()) as url:
        assert main(["grade", "--grader", f"{url}/score", *args]) == 0
        out = capsys.readouterr().out
        assert main(["grade", "--grader", f"{url}/score", *args, "--json"]) == 0
        full = capsys.readouterr().out
    assert "| row-1 | 0.5000 |" in out
    assert "why row-1 scored 0.5000 (catalog_grader): no tool call was recorded for trace_id trace_" in out
    assert "so the tool-use factor 0.5 applied: run the rollout's tool calls with the same trace_id" in out
    (explanation,) = json.loads(full[:full.index("\n}\n") + 2])["metadata"]["explanations"]
    assert explanation["details"]["tool_calls"] == 0 and explanation["details"]["components"]["tool_use"] == 0.5
    assert f"trace_id {explanation['trace_id']}, so" in explanation["why"]
    # Another endpoint answers `{"score"}` only, even to ?explain=true: the grade stands without a reason.
    with serve(misbehaving_app(body={"score": 0.5})) as url:
        assert main(["grade", "--grader", f"{url}/score", *args, "--json"]) == 0
        other = capsys.readouterr().out
    assert "why" not in other and "explanations" not in other and "| row-1 | 0.5000 |" in other


def test_grade_explains_an_endpoint_inside_a_multi_grader(capsys):
    with serve(make_app()) as url:
        multi = {"type": "multi", "name": "m", "calculate_output": "ep",
                 "graders": {"ep": {"type": "endpoint", "name": "ep", "url": f"{url}/score"}}}
        assert main(["grade", "--grader", json.dumps(multi), "--answer", "Take JKT-URB-009.",
                     "--reference", "JKT-URB-009"]) == 0
    out = capsys.readouterr().out
    assert "why answer scored 0.3000 (graders.ep): the answer 'Take JKT-URB-009' earned 0.3" in out


def test_reward_hacks_with_an_unreachable_grader_grades_nothing(capsys, data):
    down = f"http://127.0.0.1:{free_port()}/score"
    assert main(["reward-hacks", "--grader", down, "--data", str(data)]) == 1
    out = capsys.readouterr().out
    verdicts = [line.rsplit("|", 2)[1].strip() for line in out.splitlines() if line.startswith("| ")][1:]
    assert verdicts == ["not graded (2 errors: cannot reach it)"] * 7  # the control and six attacks, none "ok"
    assert "not graded: 14 of 14 gradings failed; fix them" in out
    assert f"first: {down}: cannot reach it (ConnectError: " in out and "is the app running" in out
    assert "the correct answer earns nothing" not in out  # it was never graded
