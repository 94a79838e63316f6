"""Episodes -> labels -> supervised set -> dataset-info -> validate -> the stand-in's supervised job, end to end,
on the shipped validation data against the real app (uvicorn on loopback)."""

from __future__ import annotations

import json

import pytest

from rftkit.__main__ import main
from rftkit.sft.job import supervised_spec
from tests import standin_support
from tests.standin_support import client_for, events, upload, wait_job
from tests.support import REPO_ROOT as REPO

VALID = REPO / "data" / "valid_tool.jsonl"


app_url, standin = standin_support.app_url, standin_support.standin  # the shared module fixtures


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def built(app_url, tmp_path_factory):
    """The whole path once: dry run with episodes, label by grader, a human label, build with a split."""
    tmp = tmp_path_factory.mktemp("sft")
    episodes = tmp / "episodes.jsonl"
    assert main(["dry-run", "--data", str(VALID), "--tool-url", f"{app_url}/tool/search_catalog",
                 "--grader-url", f"{app_url}/score", "--samples-per-row", "2", "--error-rate", "0.3",
                 "--episodes", str(episodes), "--json"]) in (0, 1)
    assert main(["label", str(episodes), "--grader", f"{app_url}/score", "--data", str(VALID)]) == 0
    first = json.loads(episodes.read_text().splitlines()[0])
    assert main(["label", str(episodes), "--episode-id", first["trace_id"], "--reward", "0",
                 "--reason", "a person disagrees"]) == 0
    assert main(["label", str(episodes), "--grader", "job-a"]) == 0  # a later grader run keeps the human label
    train, valid = tmp / "sft_train.jsonl", tmp / "sft_valid.jsonl"
    assert main(["build-sft", str(episodes), "--data", str(VALID), "--min-reward", "0.7", "--out", str(train),
                 "--valid-out", str(valid), "--valid-share", "0.3", "--seed", "3"]) == 0
    return episodes, train, valid, first


def test_labels_record_their_source_and_a_person_wins(built):
    episodes, _, _, first = built
    lines = [json.loads(line) for line in episodes.read_text().splitlines()]
    assert len(lines) == 2 * len(VALID.read_text(encoding="utf-8").splitlines())
    assert lines[0]["label"]["source"] == "human" and lines[0]["label"]["reward"] == 0.0
    assert lines[0]["trace_id"] == first["trace_id"]
    assert {line["label"]["source"] for line in lines[1:]} == {"grader:job_a_exact_and_fuzzy"}
    graded = [line for line in lines[1:] if line["status"] == "graded"]
    assert all(line["label"]["reason"] and line["label"]["labelled_at"] for line in graded)
    assert len({line["label"]["reward"] for line in graded}) > 1  # the scripted mistakes cost reward


def test_the_supervised_rows_have_the_chat_tool_call_shape(built):
    episodes, train, valid, first = built
    rows = [json.loads(line) for line in train.read_text().splitlines()]
    data = {json.loads(line)["id"]: json.loads(line) for line in VALID.read_text().splitlines()}
    origins = [json.loads(line) for line in (train.parent / (train.name + ".provenance.jsonl")).read_text()
               .splitlines()]
    assert len(origins) == len(rows) and origins[0]["line"] == 1
    for row, origin in zip(rows, origins, strict=True):
        assert set(row) == {"messages", "tools"}  # no provenance inside: the service refuses extra keys
        assert row["tools"] == data[origin["row_id"]]["tools"]
        assert origin["reward"] >= 0.7 and origin["trace_id"] != first["trace_id"]  # the human 0 is out
        messages = row["messages"]
        assert [m["role"] for m in messages[:2]] == ["system", "user"]
        assert messages[1]["content"] == data[origin["row_id"]]["messages"][1]["content"]
        call = messages[2]["tool_calls"][0]
        assert call["type"] == "function" and json.loads(call["function"]["arguments"]) is not None
        assert messages[3] == {"role": "tool", "tool_call_id": call["id"], "content": messages[3]["content"]}
        assert messages[-1]["role"] == "assistant" and messages[-1]["content"]
    train_rows = {o["row_id"] for o in origins}
    valid_rows = {json.loads(line)["row_id"] for line in
                  (valid.parent / (valid.name + ".provenance.jsonl")).read_text().splitlines()}
    assert valid_rows and not train_rows & valid_rows  # split by row id


def test_dataset_info_counts_tokens_and_names_the_episodes(built, capsys):
    _, train, _, _ = built
    code, out, _ = run_cli(capsys, "dataset-info", str(train), "--epochs", "2", "--json")
    info = json.loads(out)
    rows = train.read_text().splitlines()
    assert code == 0 and info["rows"] == len(rows) and info["encoding"] == "o200k_base"
    assert info["trained_tokens"] == 2 * info["tokens_total"] and info["tokens_per_row"]["min"] > 100
    assert info["provenance"]["episodes"] == len(rows) and info["provenance"]["reward"]["min"] >= 0.7
    assert info["tool_calls_per_row"]["min"] >= 1
    code, out, _ = run_cli(capsys, "dataset-info", str(train))
    assert "trained tokens for 3 epoch(s)" in out and "reward: min" in out


def test_validate_accepts_the_built_files(built, capsys):
    _, train, valid, _ = built
    code, out, _ = run_cli(capsys, "validate", str(train), str(valid))
    assert code == 0 and "0 errors" in out, out


def test_the_stand_in_runs_a_supervised_dry_run_and_its_model_name_works_as_a_policy(built, standin, capsys):
    _, train, valid, _ = built
    client = client_for(standin)
    train_file, valid_file = upload(client, train), upload(client, valid)
    assert (train_file.status, valid_file.status) == ("processed", "processed")
    spec = supervised_spec(training_file=train_file.id, validation_file=valid_file.id, model="gpt-4o-mini-2024-07-18",
                           hyperparameters={"n_epochs": 2})
    job = wait_job(client, client.fine_tuning.jobs.create(**spec).id)
    assert job.status == "succeeded", job.error
    assert job.method.type == "supervised" and job.fine_tuned_model.startswith("gpt-4o-mini-2024-07-18.ft-")
    _, out, _ = run_cli(capsys, "dataset-info", str(train), "--epochs", "2", "--json")
    assert job.trained_tokens == json.loads(out)["trained_tokens"]
    text = "\n".join(e.message for e in events(client, job.id))
    assert "DRY RUN" in text and "no loss curve" in text and "tool call arguments parse as JSON" in text
    assert not [e for e in events(client, job.id) if e.type == "metrics"]
    report = json.loads(client.files.content(job.result_files[0]).read())
    assert report["dry_run"] is True and report["weights_changed"] is False and report["trained_tokens"] > 0


def test_a_broken_supervised_file_is_refused_with_its_line(built, standin, tmp_path, capsys):
    _, train, _, _ = built
    lines = train.read_text().splitlines()
    row = json.loads(lines[4])
    row["messages"][3]["tool_call_id"] = "call_nobody_made"
    lines[4] = json.dumps(row)
    broken = tmp_path / "broken_train.jsonl"
    broken.write_text("\n".join(lines) + "\n")
    code, out, _ = run_cli(capsys, "validate", str(broken))
    assert code == 1 and f"{broken}:5: error: messages[3]: tool_call_id 'call_nobody_made' answers no" in out
    stored = upload(client_for(standin), broken)
    assert stored.status == "error" and "line 5: messages[3]: tool_call_id 'call_nobody_made'" in \
        stored.status_details


def test_a_supervised_job_on_rft_rows_or_an_unsupported_model_is_refused(built, standin):
    import openai

    _, train, valid, _ = built
    client = client_for(standin)
    sft_file, rft_file = upload(client, train), upload(client, VALID)
    spec = supervised_spec(training_file=rft_file.id, validation_file=sft_file.id)
    with pytest.raises(openai.BadRequestError) as refused:
        client.fine_tuning.jobs.create(**spec)
    assert refused.value.body["param"] == "training_file"
    message = refused.value.body["message"]
    assert "is not a chat fine-tuning file: line 1:" in message
    assert "extra key 'reference_answer'" in message and "the last message must be the assistant's" in message
    with pytest.raises(openai.BadRequestError) as refused:
        client.fine_tuning.jobs.create(**{**spec, "training_file": sft_file.id, "model": "o4-mini-2025-04-16"})
    assert refused.value.body["param"] == "model"


def test_each_model_trains_on_examples_of_its_own_length(built, standin, tmp_path):
    import openai

    from rftkit.sft.tokens import count_row
    from rftkit.util.jsonl import read_jsonl

    _, train, valid, _ = built
    rows = read_jsonl(train)
    long_row = {**rows[0], "messages": [{**rows[0]["messages"][0], "content": "boot " * 40_000},
                                        *rows[0]["messages"][1:]]}
    assert 32_768 < count_row(long_row) <= 65_536  # over gpt-4.1-nano's limit, under gpt-4.1-mini's
    long_file = tmp_path / "long.jsonl"
    long_file.write_text("".join(json.dumps(r) + "\n" for r in [long_row, *rows[1:]]), encoding="utf-8")
    client = client_for(standin)
    long_id, valid_id = upload(client, long_file).id, upload(client, valid).id
    spec = supervised_spec(training_file=long_id, validation_file=valid_id, model="gpt-4.1-nano-2025-04-14")
    with pytest.raises(openai.BadRequestError) as refused:
        client.fine_tuning.jobs.create(**spec)
    assert refused.value.body["param"] == "training_file"
    assert "example 1 has" in refused.value.body["message"] and "at most 32,768" in refused.value.body["message"]
    assert client.fine_tuning.jobs.create(**{**spec, "model": "gpt-4.1-mini-2025-04-14"}).id


def test_a_reinforcement_job_on_a_supervised_file_is_refused(built, standin, app_url):
    import openai

    from rftkit.jobs.builders import job_b_spec

    _, train, _, _ = built
    client = client_for(standin)
    sft_file, rft_file = upload(client, train), upload(client, VALID)
    body = job_b_spec(training_file=sft_file.id, validation_file=rft_file.id, rows=[VALID], tool_base_url=app_url)
    with pytest.raises(openai.BadRequestError) as refused:
        client.fine_tuning.jobs.create(**body)
    assert refused.value.body["param"] == "training_file" and "supervised (chat)" in refused.value.body["message"]


def test_the_stand_in_runs_a_supervised_job_without_a_validation_file(built, standin):
    _, train, _, _ = built
    client = client_for(standin)
    spec = supervised_spec(training_file=upload(client, train).id, model="gpt-4o-mini-2024-07-18")
    job = wait_job(client, client.fine_tuning.jobs.create(**spec).id)
    assert job.status == "succeeded", job.error
    text = "\n".join(e.message for e in events(client, job.id))
    assert "(no validation file)" in text and "; no validation file (o200k_base)" in text
    report = json.loads(client.files.content(job.result_files[0]).read())
    assert report["validation"] is None and report["training"]["rows"] == len(train.read_text().splitlines())
