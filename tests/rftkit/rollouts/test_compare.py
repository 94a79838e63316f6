"""`compare`: per-row reward and tool-call change between two episode files, on fixtures with known results."""

from __future__ import annotations

import json

import pytest

from rftkit.__main__ import main
from rftkit.rollouts import compare_files
from tests.rollouts_support import sample_rows
from tests.support import make_app, serve

META = {"a": ("lookup", "easy"), "b": ("filter_sort", "medium"), "c": ("comparison", "hard"), "d": ("lookup", "easy"),
        "e": ("lookup", "easy"), "f": ("lookup", "easy"), "g": ("lookup", "easy")}


def record(row_id, sample_index, reward, calls=1, status="graded", answer="SKU-1"):
    task_type, difficulty = META[row_id]
    return {"row_id": row_id, "sample_index": sample_index, "trace_id": f"trace_{row_id}{sample_index}{reward}",
            "policy": "scripted", "metadata": {"task_type": task_type, "difficulty": difficulty},
            "prompt": f"request {row_id}", "reference_answer": "SKU-1", "status": status,
            "tool_calls": [{"call_id": f"call_{k}", "id": f"fc_{k}", "name": "search_catalog",
                            "arguments": json.dumps({"query": f"q{k}"}), "output": '{"items":[]}'}
                           for k in range(calls)],
            "final_answer": answer, "reward": reward}


BASE = [record("a", 0, 1.0), record("a", 1, 1.0),
        record("b", 0, 0.0, calls=0), record("b", 1, 0.5),
        record("c", 0, 1.0, calls=2),
        record("d", 0, 0.3),
        record("e", 0, 1.0),
        record("f", 0, None, status="discarded")]
TUNED = [record("a", 0, 1.0), record("a", 1, 1.0),
         record("b", 0, 1.0), record("b", 1, 1.0),
         record("c", 0, 0.0, calls=2, answer="SKU-2"),
         record("d", 0, 0.0, calls=0),
         record("f", 0, 1.0),
         record("g", 0, 1.0)]


@pytest.fixture()
def files(tmp_path):
    paths = []
    for name, records in (("base", BASE), ("tuned", TUNED)):
        path = tmp_path / f"{name}.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
        paths.append(path)
    return paths


def test_summary_counts_and_means(files):
    comparison = compare_files(*files)
    s = comparison.summary()
    assert s["rows"] == 4  # a, b, c, d
    assert s["base_mean_reward"] == pytest.approx((1 + 0.25 + 1 + 0.3) / 4)
    assert s["tuned_mean_reward"] == pytest.approx(0.5)
    assert s["mean_d_reward"] == pytest.approx(0.5 - 2.55 / 4, abs=1e-4)
    assert s["mean_d_tool_calls"] == pytest.approx((0 + 0.5 + 0 - 1) / 4)
    assert (s["improved"], s["regressed"], s["unchanged"]) == (1, 2, 1)
    assert comparison.only_base == ["e"] and comparison.only_tuned == ["g"] and comparison.ungraded == ["f"]


def test_slices_by_task_type_and_difficulty(files):
    comparison = compare_files(*files)
    by_type = comparison.slices("task_type")
    assert list(by_type) == ["comparison", "filter_sort", "lookup"]
    assert by_type["lookup"]["rows"] == 2 and by_type["lookup"]["mean_d_reward"] == pytest.approx(-0.15)
    assert (by_type["lookup"]["regressed"], by_type["lookup"]["unchanged"]) == (1, 1)
    assert by_type["filter_sort"]["mean_d_reward"] == pytest.approx(0.75) and by_type["filter_sort"]["improved"] == 1
    assert by_type["comparison"]["mean_d_reward"] == pytest.approx(-1.0)
    by_difficulty = comparison.slices("difficulty")
    assert {k: v["rows"] for k, v in by_difficulty.items()} == {"easy": 2, "hard": 1, "medium": 1}


def test_worst_regressions_come_first_with_their_traces(files):
    data = compare_files(*files).to_dict(top=5)
    worst = data["worst_regressions"]
    assert [(w["row_id"], w["d_reward"]) for w in worst] == [("c", -1.0), ("d", -0.3)]
    tuned = worst[0]["tuned_trace"]
    assert tuned["trace_id"] == "trace_c00.0" and tuned["final_answer"] == "SKU-2"
    assert [c["arguments"] for c in tuned["tool_calls"]] == ['{"query": "q0"}', '{"query": "q1"}']
    assert [c["output"] for c in tuned["tool_calls"]] == ["0 match(es): "] * 2  # outputs previewed in one line
    assert worst[0]["base_trace"]["trace_id"] == "trace_c01.0"
    assert worst[0]["prompt"] == "request c" and worst[0]["reference_answer"] == "SKU-1"
    assert len(compare_files(*files).to_dict(top=1)["worst_regressions"]) == 1


def test_the_cli_prints_the_comparison(files, capsys):
    assert main(["compare", str(files[0]), str(files[1])]) == 0
    out = capsys.readouterr().out
    assert "improved: 1/4   regressed: 2/4   unchanged: 1/4" in out
    assert "Left out, only in base: 1 (e)" in out and "Left out, only in tuned: 1 (g)" in out
    assert "By task_type:" in out and "By difficulty:" in out
    assert out.index("=== c ") < out.index("=== d ")
    assert "tuned trace trace_c00.0" in out and '→ search_catalog({"query": "q1"})' in out

    assert main(["compare", str(files[0]), str(files[1]), "--json", "--top", "1"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["summary"]["regressed"] == 2 and len(data["worst_regressions"]) == 1


def test_unusable_files_exit_2(tmp_path, files, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"row_id": "a"}\n', encoding="utf-8")
    assert main(["compare", str(files[0]), str(bad)]) == 2
    assert "bad.jsonl:1: not an episode record" in capsys.readouterr().err
    other = tmp_path / "other.jsonl"
    other.write_text(json.dumps(record("g", 0, 1.0)) + "\n", encoding="utf-8")
    assert main(["compare", str(files[0]), str(other)]) == 2
    assert "no row is graded in both files" in capsys.readouterr().err


def test_dry_run_episodes_round_trip_through_compare(tmp_path, capsys):
    data = tmp_path / "rows.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in sample_rows()), encoding="utf-8")
    base, tuned = tmp_path / "base.jsonl", tmp_path / "tuned.jsonl"
    with serve(make_app()) as url:
        for path, rate in ((base, "1.0"), (tuned, "0.0")):
            assert main(["dry-run", "--data", str(data), "--tool-url", f"{url}/tool/search_catalog",
                         "--grader-url", f"{url}/score", "--samples-per-row", "3", "--error-rate", rate,
                         "--episodes", str(path), "--json"]) == 0
    capsys.readouterr()
    assert main(["compare", str(base), str(tuned), "--json"]) == 0
    improved = json.loads(capsys.readouterr().out)
    # Every base rollout made a mistake (each costs reward on the endpoint grader); the tuned ones made none.
    assert improved["summary"]["rows"] == 3 and improved["summary"]["improved"] == 3
    assert improved["summary"]["tuned_mean_reward"] == 1.0
    assert main(["compare", str(tuned), str(base), "--json"]) == 0
    regressed = json.loads(capsys.readouterr().out)
    assert regressed["summary"]["regressed"] == 3 and len(regressed["worst_regressions"]) == 3
    assert all(w["tuned_trace"]["trace_id"].startswith("trace_") for w in regressed["worst_regressions"])


def test_output_previews():
    from rftkit.rollouts.compare import output_preview

    items = {"total": 7, "items": [{"sku": f"SKU-{i}"} for i in range(6)]}
    assert output_preview(json.dumps(items)) == "7 match(es): SKU-0, SKU-1, SKU-2, SKU-3, SKU-4 ..."
    assert output_preview(json.dumps({"error": "invalid_arguments", "message": "bad"})) == \
        "error: invalid_arguments: bad"
    assert output_preview("not json at all " * 20) == ("not json at all " * 20)[:160]
