"""The pieces of the SFT path: supervised row rules, labels (atomic, human wins), build (dedupe, trim, split),
supervised job bodies, and a supervised model name as the dry run's `--model`."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from rftkit.__main__ import main
from rftkit.jobs.builders import JobSpecError
from rftkit.rollouts.episode import Episode, RolloutToolCall, write_episodes
from rftkit.sft.build import TRIM_MARKER, build_sft, fit_split, split_rows
from rftkit.sft.checks import MIN_EXAMPLES, is_supervised_row, row_problems
from rftkit.sft.job import SFT_TOOL_MODELS, supervised_spec
from rftkit.sft.label import label_by_hand, read_lines
from tests.rollouts_support import TOOLS, make_row

GOOD = {"messages": [
    {"role": "system", "content": "Call search_catalog, answer with the SKU."},
    {"role": "user", "content": "SKU of the Urban Puffer?"},
    {"role": "assistant", "content": None, "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "search_catalog",
                                                           "arguments": "{\"query\": \"Urban Puffer\"}"}}]},
    {"role": "tool", "tool_call_id": "call_1", "content": "{\"items\": [{\"sku\": \"JKT-URB-009\"}]}"},
    {"role": "assistant", "content": "JKT-URB-009"}], "tools": TOOLS}


def broken(change) -> dict:
    row = copy.deepcopy(GOOD)
    change(row)
    return row


def test_a_good_example_passes_and_is_recognised_as_supervised():
    assert row_problems(GOOD) == [] and is_supervised_row(GOOD)
    assert not is_supervised_row(make_row("r", "q", "JKT-URB-009"))  # an RFT row
    history = {"messages": [*GOOD["messages"], {"role": "user", "content": "and a cheaper one?"}], "tools": TOOLS}
    assert not is_supervised_row(history)  # RFT rows may carry earlier turns; they end with the user


@pytest.mark.parametrize("change, expected", [
    (lambda r: r["messages"][3].update(tool_call_id="call_9"), "tool_call_id 'call_9' answers no earlier"),
    (lambda r: r["messages"].pop(3), "call_1 got no tool message before the next assistant turn"),
    (lambda r: r["messages"][2]["tool_calls"][0]["function"].update(arguments="{query"), "is not valid JSON"),
    (lambda r: r["messages"][2]["tool_calls"][0]["function"].update(arguments={"q": 1}), "must be a JSON string"),
    (lambda r: r["messages"][2]["tool_calls"][0]["function"].update(name="other"), "`tools` does not declare"),
    (lambda r: r["messages"].pop(), "the last message must be the assistant's answer"),
    (lambda r: r.update(id="row-1"), "contains an extra key 'id'"),
    (lambda r: r["messages"][1].update(role="robot"), "role must be one of"),
    (lambda r: r["messages"][4].update(content=""), "needs text content or tool_calls"),
])
def test_each_broken_example_says_what_is_wrong(change, expected):
    problems = row_problems(broken(change))
    assert any(expected in p for p in problems), problems


def test_an_example_over_the_token_limit_is_refused():
    row = broken(lambda r: r["messages"][3].update(content="JKT-URB-009 " * 40_000))
    assert any("tokens; an example holds at most 65,536" in p for p in row_problems(row))


def episode(row_id: str, sample: int, answer: str, output: str = "{\"items\": []}", reward: float = 1.0,
            status: str = "graded", arguments: str = "{\"query\":\"x\"}") -> Episode:
    return Episode(row_id=row_id, sample_index=sample, trace_id=f"trace_{row_id}_{sample}", policy="scripted",
                   status=status, finish_reason="stop", final_answer=answer, reward=reward,
                   tool_calls=[RolloutToolCall(call_id=f"call_{row_id}_{sample}", id="fc", name="search_catalog",
                                              arguments=arguments, output=output, ok=True)])


@pytest.fixture()
def files(tmp_path: Path) -> tuple[Path, Path]:
    rows = [make_row(f"r{i}", f"request {i}", "JKT-URB-009") for i in range(12)]
    data = tmp_path / "rows.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    episodes = [episode(f"r{i}", s, "JKT-URB-009") for i in range(12) for s in range(2)]  # s=1 repeats s=0
    episodes += [episode("r0", 2, "JKT-URB-009", output="x" * 5000, arguments="{\"query\":\"long\"}"),
                 episode("r1", 3, "JKT-ALP-001", reward=0.2), episode("r2", 4, "JKT-URB-009", status="discarded")]
    path = tmp_path / "episodes.jsonl"
    write_episodes(path, episodes)
    return path, data


def test_build_keeps_good_unique_trajectories_trims_and_splits_by_row(files, tmp_path):
    episodes, data = files
    train, valid = tmp_path / "t.jsonl", tmp_path / "v.jsonl"
    report = build_sft(episodes, data, train, valid_out=valid, valid_share=0.25, seed=7, max_tool_output_chars=1000,
                       min_examples=0)  # the share alone: the service's minimum is tested below
    assert report.kept == 13 and report.skipped["identical trajectory already kept"] == 12
    assert report.skipped["reward below 0.7"] == 1 and report.skipped["episode discarded"] == 1
    assert report.trimmed_outputs == 1
    rows = [json.loads(line) for line in (train.read_text() + valid.read_text()).splitlines()]
    trimmed = [r for r in rows if TRIM_MARKER.format(cut=4000, total=5000) in r["messages"][3]["content"]]
    assert len(trimmed) == 1 and trimmed[0]["messages"][3]["content"].startswith("x" * 1000)
    side = lambda p: {json.loads(line)["row_id"] for line in p.with_name(p.name + ".provenance.jsonl")  # noqa: E731
                      .read_text().splitlines()}
    assert side(valid) and not side(train) & side(valid) and len(side(valid)) == 3
    assert split_rows([f"r{i}" for i in range(12)], 0.25, 7) == side(valid)  # seeded: the same split again


def test_the_split_is_fitted_to_the_services_minimum_per_file():
    rows = [f"r{i}" for i in range(40)]  # one example per request
    share_alone = split_rows(rows, 0.1, 7)
    grown, note = fit_split(rows, 0.1, 7, MIN_EXAMPLES)
    assert len(share_alone) == 4 and share_alone < grown and len(grown) == MIN_EXAMPLES  # same seeded order, grown
    assert "validation share raised from 10% to 10 of 40 rows" in note
    assert fit_split(rows, 0.3, 7, MIN_EXAMPLES) == (split_rows(rows, 0.3, 7), "")  # 12 already: unchanged
    few, note = fit_split(rows[:19], 0.3, 7, MIN_EXAMPLES)
    assert few == set() and note.startswith("no validation file: 19 example(s) cannot fill two files of at least 10")
    # Requests with many examples each: 3 requests of 7 cannot be cut into 10 and 10; 4 of 6 can (12 and 12).
    lumpy, note = fit_split([f"r{i}" for i in range(3) for _ in range(7)], 0.3, 7, MIN_EXAMPLES)
    assert lumpy == set() and "rows of 21 examples cannot be split" in note
    assert len(fit_split([f"r{i}" for i in range(4) for _ in range(6)], 0.25, 7, MIN_EXAMPLES)[0]) == 2


def test_too_few_examples_for_two_files_write_the_training_file_only(files, tmp_path):
    episodes, data = files
    train, valid = tmp_path / "t.jsonl", tmp_path / "v.jsonl"
    report = build_sft(episodes, data, train, valid_out=valid, valid_share=0.25, seed=7)
    assert report.written == {str(train): 13} and not valid.exists()
    assert "no validation file: 13 example(s) cannot fill two files of at least 10" in report.render()


def test_a_supervised_job_body_without_a_validation_file_leaves_it_out():
    spec = supervised_spec(training_file="file-a", model=next(iter(SFT_TOOL_MODELS)))
    assert "validation_file" not in spec and spec["training_file"] == "file-a"


def test_a_human_label_lifts_an_episode_and_a_bad_line_loses_nothing(files, tmp_path, capsys):
    episodes, data = files
    label_by_hand(episodes, "r1:3", 0.9, "the other SKU is right too")
    lines = read_lines(episodes)
    assert lines[25].data["label"]["source"] == "human"
    report = build_sft(episodes, data, tmp_path / "t.jsonl")
    assert report.kept == 14 and "reward below 0.7" not in report.skipped
    before = episodes.read_bytes() + b"{not json\n"
    episodes.write_bytes(before)
    code = main(["label", str(episodes), "--grader", "job-a"])
    assert code == 2 and f"{episodes}:28: not an episode record" in capsys.readouterr().err
    assert episodes.read_bytes() == before and not list(tmp_path.glob(".episodes.jsonl.*"))
    with pytest.raises(ValueError, match="has 2 episodes"):
        label_by_hand(_clean(episodes), "r3", 1.0, "x")  # r3 has samples 0 and 1


def _clean(path: Path) -> Path:
    path.write_text("".join(line + "\n" for line in path.read_text().splitlines()[:-1]))
    return path


def test_supervised_job_bodies_are_checked():
    spec = supervised_spec(training_file="file-a", validation_file="file-b", model=next(iter(SFT_TOOL_MODELS)),
                           hyperparameters={"n_epochs": 2})
    assert spec["method"] == {"type": "supervised", "supervised": {"hyperparameters": {
        "n_epochs": 2, "batch_size": "auto", "learning_rate_multiplier": "auto"}}}
    with pytest.raises(JobSpecError) as error:
        supervised_spec(training_file="file-a", validation_file="", model="o4-mini-2025-04-16",
                        hyperparameters={"n_epochs": 0, "compute_multiplier": 2})
    params = {p.param for p in error.value.problems}
    assert params == {"model", "validation_file", "method.supervised.hyperparameters.n_epochs",
                      "method.supervised.hyperparameters.compute_multiplier"}


def test_a_supervised_model_name_is_a_valid_dry_run_model(tmp_path, monkeypatch, capsys):
    """The stand-in serves no Responses API, so the name goes to a fake one: the argument path end to end."""
    from tests.rftkit.rollouts.test_rollouts_model import fake_responses_app
    from tests.support import make_app, serve

    name = "gpt-4.1-mini-2025-04-14.ft-0123456789abcdef01234567-sft"
    data = tmp_path / "rows.jsonl"
    data.write_text(json.dumps(make_row("r1", "What is the SKU of the Urban Puffer?", "JKT-URB-009")) + "\n")
    fake = fake_responses_app()
    with serve(fake) as fake_url, serve(make_app()) as app_url:
        monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", fake_url)
        monkeypatch.setenv("AZURE_OPENAI_API_KEY", "k")
        code = main(["dry-run", "--data", str(data), "--tool-url", f"{app_url}/tool/search_catalog",
                     "--grader-url", f"{app_url}/score", "--policy", "model", "--model", name, "--json"])
    summary = json.loads(capsys.readouterr().out)["summary"]
    assert code == 0 and summary["policy"] == f"model:{name}" and summary["mean_reward"] == 1.0
    assert {r["body"]["model"] for r in fake.state.requests} == {name}


@pytest.mark.parametrize("argv, message", [
    (["--episode-id", "r0:0", "--reward", "1.5", "--reason", "x"], "reward must be between 0 and 1"),
    (["--episode-id", "r0:0", "--reward", "1"], "needs --episode-id, --reward and --reason"),
    (["--episode-id", "r0:0", "--reward", "1", "--reason", "x", "--grader", "job-a"], "not both"),
    (["--episode-id", "nope", "--reward", "1", "--reason", "x"], "no episode 'nope'"),
    ([], "give --grader G"),
])
def test_label_refuses_bad_arguments_and_leaves_the_file_alone(files, capsys, argv, message):
    episodes, _ = files
    before = episodes.read_bytes()
    assert main(["label", str(episodes), *argv]) == 2
    assert message in capsys.readouterr().err and episodes.read_bytes() == before


def test_labelling_keeps_every_other_key_of_a_line(files):
    episodes, _ = files
    original = [json.loads(line) for line in episodes.read_text().splitlines()]
    original[0]["captured_by"] = "someone else's tool"
    episodes.write_text("".join(json.dumps(line) + "\n" for line in original))
    assert main(["label", str(episodes), "--grader", "job-a"]) == 0
    labelled = [json.loads(line) for line in episodes.read_text().splitlines()]
    assert [{k: v for k, v in line.items() if k != "label"} for line in labelled] == original
    assert labelled[-1]["label"]["reason"].startswith("not graded: the episode is discarded")


def test_parallel_calls_of_one_turn_stay_in_one_assistant_message(tmp_path):
    data = tmp_path / "rows.jsonl"
    data.write_text("".join(json.dumps(make_row(f"r{i}", f"compare {i}", "JKT-URB-009")) + "\n" for i in range(10)))
    episodes = []
    for i in range(10):
        e = episode(f"r{i}", 0, "JKT-URB-009")
        e.tool_calls.append(RolloutToolCall(call_id=f"call_b{i}", id="fc", name="search_catalog",
                                           arguments="{\"query\":\"y\"}", output="{}", turn=0))
        e.tool_calls.append(RolloutToolCall(call_id=f"call_c{i}", id="fc", name="search_catalog",
                                           arguments="{\"query\":\"z\"}", output="{}", turn=1))
        episodes.append(e)
    write_episodes(tmp_path / "e.jsonl", episodes)
    build_sft(tmp_path / "e.jsonl", data, tmp_path / "t.jsonl")
    row = json.loads((tmp_path / "t.jsonl").read_text().splitlines()[0])
    assert [m["role"] for m in row["messages"]] == ["system", "user", "assistant", "tool", "tool", "assistant", "tool",
                                                    "assistant"]
    assert [c["id"] for c in row["messages"][2]["tool_calls"]] == ["call_r0_0", "call_b0"]
    assert row_problems(row) == []


def test_validate_finds_a_request_in_both_supervised_files(tmp_path, capsys):
    rows = [broken(lambda r, i=i: r["messages"][1].update(content=f"SKU of product {i}?")) for i in range(10)]
    train, valid = tmp_path / "sft_train.jsonl", tmp_path / "sft_valid.jsonl"
    train.write_text("".join(json.dumps(r) + "\n" for r in rows))
    valid.write_text("".join(json.dumps(r) + "\n" for r in [*rows[3:], rows[0], rows[1], rows[2]][:10]))
    assert main(["validate", str(train), str(valid)]) == 1
    out = capsys.readouterr().out
    assert f"{valid}:8: error: the same request is in training and validation (also at {train}:1)" in out
