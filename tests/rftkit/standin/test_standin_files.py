"""The stand-in's /files with the real `openai` client: upload, wait, retrieve, content, list, row checks, bounds."""

from __future__ import annotations

import re

import openai
import pytest

from rftkit.standin import StandinConfig, StandinServer
from tests import standin_support
from tests.standin_support import client_for

# The module-scoped fixtures shared by the stand-in test files (pytest finds them by name here).
app_url, standin, client, files = (standin_support.app_url, standin_support.standin, standin_support.client,
                                   standin_support.files)


def test_upload_wait_retrieve_content_and_list(client, files, tmp_path):
    train, _ = files
    assert re.fullmatch(r"file-[0-9a-f]{24}", train.id)
    assert (train.object, train.purpose, train.status, train.filename) == ("file", "fine-tune", "processed",
                                                                           "train.jsonl")
    assert client.files.retrieve(train.id).status == "processed"
    content = client.files.content(train.id).read()
    assert len(content) == train.bytes and content.decode().splitlines()[0].startswith('{"messages"')
    assert train.id in {f.id for f in client.files.list(purpose="fine-tune")}


@pytest.mark.parametrize("line, why", [
    ("not json", "line 1: not valid JSON"),
    ('{"messages": []}', "line 1: `messages` is empty [messages]"),
    ('{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "x"}], '
     '"reference_answer": "JKT-URB-009"}',
     "the last message must have role 'user'"),
    ('{"messages": [{"role": "developer", "content": "s"}, {"role": "system", "content": "s"}, '
     '{"role": "user", "content": "hi"}]}', "message 2 has role 'system' after the conversation started"),
    ('{"messages": [{"role": "user", "content": "hi"}], "tools": [{"type": "function"}]}',
     "tools[1]: `function` must be an object"),
    ('[1, 2]', "a row must be a JSON object, not a list [not-object]"),
])
def test_bad_rows_end_in_error_status_with_details(client, tmp_path, line, why):
    path = tmp_path / "bad.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    with path.open("rb") as fh:
        created = client.files.create(file=fh, purpose="fine-tune")
    done = client.files.wait_for_processing(created.id, poll_interval=0.05, max_wait_seconds=10)  # does not raise
    assert done.status == "error"
    assert why in done.status_details


def test_a_leading_system_message_is_processed_with_a_warning(client, tmp_path):
    """Reasoning models treat a system message as a developer message: a warning, as in `rftkit validate`."""
    path = tmp_path / "system.jsonl"
    path.write_text('{"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "hi"}]}\n',
                    encoding="utf-8")
    with path.open("rb") as fh:
        created = client.files.create(file=fh, purpose="fine-tune")
    done = client.files.wait_for_processing(created.id, poll_interval=0.05, max_wait_seconds=10)
    assert done.status == "processed"
    assert done.status_details.startswith("Processed with 1 warning(s): line 1: message 1 has role 'system'")


def test_upload_with_another_purpose_or_not_jsonl_is_refused(client, tmp_path):
    path = tmp_path / "rows.txt"
    path.write_text('{"messages": [{"role": "user", "content": "hi"}]}\n', encoding="utf-8")
    with pytest.raises(openai.BadRequestError) as info, path.open("rb") as fh:
        client.files.create(file=fh, purpose="assistants")
    assert (info.value.param, info.value.code) == ("purpose", "invalid_value")
    with pytest.raises(openai.BadRequestError) as info, path.open("rb") as fh:
        client.files.create(file=fh, purpose="fine-tune")
    assert info.value.param == "file" and "JSONL" in info.value.message


def test_pending_files_size_and_count_bounds(tmp_path):
    config = StandinConfig(file_processing_delay=0.3, max_file_bytes=4_000, max_files=2, status_delay=0.02)
    with StandinServer(config) as server:
        client = client_for(server)
        path = tmp_path / "rows.jsonl"
        path.write_text('{"messages": [{"role": "user", "content": "hi"}]}\n', encoding="utf-8")
        with path.open("rb") as fh:
            created = client.files.create(file=fh, purpose="fine-tune")
        assert created.status == "pending"  # as Azure: processed later
        spec = {"model": "o4-mini-2025-04-16", "training_file": created.id, "validation_file": created.id,
                "method": {"type": "reinforcement", "reinforcement": {"grader": {}}}}
        with pytest.raises(openai.BadRequestError) as info:
            client.fine_tuning.jobs.create(**spec)
        assert (info.value.param, info.value.code) == ("training_file", "file_not_ready")
        assert client.files.wait_for_processing(created.id, poll_interval=0.05).status == "processed"
        big = tmp_path / "big.jsonl"
        big.write_text('{"messages": [{"role": "user", "content": "' + "x" * 5_000 + '"}]}\n', encoding="utf-8")
        with pytest.raises(openai.APIStatusError) as too_big, big.open("rb") as fh:
            client.files.create(file=fh, purpose="fine-tune")
        assert too_big.value.status_code == 413
        with path.open("rb") as fh:
            client.files.create(file=fh, purpose="fine-tune")
        with pytest.raises(openai.BadRequestError) as full, path.open("rb") as fh:
            client.files.create(file=fh, purpose="fine-tune")
        assert full.value.code == "quota_exceeded"


