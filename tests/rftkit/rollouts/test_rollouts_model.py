"""The model policy through the Responses API, against a fake Responses server on loopback and the real app.

The `openai` package sends with httpx2, so the fake is a real HTTP server (no respx): it also proves the wire format.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from rftkit.__main__ import main
from rftkit.rollouts import ModelPolicy, responses_tools, run_rollouts
from rftkit.settings import ToolkitSettings, make_async_client
from tests.entra_support import FakeCredential, fake_default_credential, refuse_default_credential
from tests.rollouts_support import TOOLS, endpoint_grader, make_row, tool_entry
from tests.support import make_app, serve


def fake_responses_app() -> FastAPI:
    """A tiny Responses API: asks for search_catalog by the product names in the request (two names = two
    parallel calls), then answers the first result's SKU. Model "broken" answers 500."""
    app = FastAPI()
    app.state.requests = []

    @app.post("/openai/v1/responses")
    async def responses(request: Request) -> JSONResponse:
        body = await request.json()
        app.state.requests.append({"headers": dict(request.headers), "body": body})
        if body["model"] == "broken":
            return JSONResponse({"error": {"message": "boom", "type": "server_error"}}, status_code=500)
        outputs = [i for i in body["input"] if i.get("type") == "function_call_output"]
        n = len(app.state.requests)
        if not outputs:
            user = next(i["content"] for i in reversed(body["input"]) if i.get("role") == "user")
            names = re.findall(r"the ([A-Z][a-z]+ [A-Z][a-z]+)", user)
            output: list[dict[str, Any]] = [{"type": "reasoning", "id": f"rs_{n}", "summary": []}]
            output += [{"type": "function_call", "id": f"fc_{n}_{k}", "call_id": f"call_{n}_{k}",
                        "name": "search_catalog", "arguments": json.dumps({"query": name, "top_k": 1}),
                        "status": "completed"} for k, name in enumerate(names)]
        else:
            sku = json.loads(outputs[0]["output"])["items"][0]["sku"]
            output = [{"type": "message", "id": f"msg_{n}", "role": "assistant", "status": "completed",
                       "content": [{"type": "output_text", "text": sku, "annotations": []}]}]
        return JSONResponse({"id": f"resp_{n}", "object": "response", "created_at": 0, "model": body["model"],
                             "status": "completed", "output": output, "parallel_tool_calls": True,
                             "tool_choice": "auto", "tools": body.get("tools", [])})

    return app


@pytest.fixture()
def fake_model():
    app = fake_responses_app()
    with serve(app) as url:
        yield app, url


@pytest.fixture(scope="module")
def real_app():
    app = make_app()
    with serve(app) as url:
        yield app, url


ROWS = [make_row("row-name", "What is the SKU of the Urban Puffer?", "JKT-URB-009"),
        make_row("row-both", "Which comes first: the Urban Puffer or the Alpine Insulated?", "JKT-URB-009")]


def _client(fake_url: str, key: str | None, credential: FakeCredential | None = None):
    """The toolkit's async client on the fake Responses API: with `key`, or keyless with `credential`."""
    settings = ToolkitSettings(azure_openai_endpoint=fake_url, azure_openai_api_key=key)
    return make_async_client(settings, credential=credential, max_retries=0)


def _play(rows: list[dict], url: str, policy: ModelPolicy):
    """Dry-run `rows` against the app at `url` with the model policy, closing its client afterwards."""
    async def go():
        try:
            return await run_rollouts(rows, tools=[tool_entry(url)], grader=endpoint_grader(url), policy=policy)
        finally:
            await policy.aclose()

    return asyncio.run(go())


def test_row_tools_become_responses_function_tools():
    (tool,) = responses_tools(TOOLS)
    function = TOOLS[0]["function"]
    assert tool == {"type": "function", "name": "search_catalog", "description": function["description"],
                    "parameters": function["parameters"], "strict": False}


def test_the_model_policy_loops_through_the_tool_and_is_graded(fake_model, real_app):
    fake, fake_url = fake_model
    app, url = real_app
    report = _play(ROWS, url, ModelPolicy(_client(fake_url, "test-key"), "my-deployment"))

    assert report.exit_code == 0 and [e.reward for e in report.episodes] == [1.0, 1.0]
    assert [len(e.tool_calls) for e in report.episodes] == [1, 2]
    both = report.episodes[1]
    assert [c.turn for c in both.tool_calls] == [0, 0]  # the model's parallel calls, run in one turn
    stored = asyncio.run(app.state.store.calls(both.trace_id))
    assert sorted(c.call_id for c in stored) == sorted(c.call_id for c in both.tool_calls)
    assert all(c.call_id.startswith("call_") and c.id.startswith("fc_") for c in both.tool_calls)

    requests = fake.state.requests
    assert len(requests) == 4 and all(r["headers"]["authorization"] == "Bearer test-key" for r in requests)
    first = next(r["body"] for r in requests if "Alpine" in json.dumps(r["body"]) and len(r["body"]["input"]) == 2)
    assert first["model"] == "my-deployment" and first["tools"] == responses_tools(TOOLS)
    assert first["parallel_tool_calls"] is True
    assert first["input"] == [{"role": "developer", "content": ROWS[1]["messages"][0]["content"]},
                              {"role": "user", "content": ROWS[1]["messages"][1]["content"]}]
    second = next(r["body"] for r in requests if "Alpine" in json.dumps(r["body"]) and len(r["body"]["input"]) > 2)
    kinds = [i.get("type") for i in second["input"][2:]]
    assert kinds == ["reasoning", "function_call", "function_call", "function_call_output", "function_call_output"]
    calls = [i["call_id"] for i in second["input"] if i.get("type") == "function_call"]
    answered = [i["call_id"] for i in second["input"] if i.get("type") == "function_call_output"]
    assert calls == answered == [c.call_id for c in both.tool_calls]


def test_a_model_api_error_fails_the_rollout_and_is_reported(fake_model, real_app):
    _, fake_url = fake_model
    _, url = real_app
    report = _play(ROWS[:1], url, ModelPolicy(_client(fake_url, "k"), "broken"))
    assert report.status_counts()["failed"] == 1 and report.error_counts() == {"policy:http_500": 1}
    assert report.exit_code == 1


def test_the_cli_uses_the_model_policy_with_azure_settings(fake_model, real_app, tmp_path, monkeypatch, capsys):
    fake, fake_url = fake_model
    _, url = real_app
    data = tmp_path / "rows.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in ROWS), encoding="utf-8")
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", fake_url)
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "cli-key")

    code = main(["dry-run", "--data", str(data), "--tool-url", f"{url}/tool/search_catalog",
                 "--grader-url", f"{url}/score", "--model", "gpt-deploy", "--json"])

    summary = json.loads(capsys.readouterr().out)["summary"]
    assert code == 0 and summary["policy"] == "model:gpt-deploy" and summary["mean_reward"] == 1.0
    assert {r["body"]["model"] for r in fake.state.requests} == {"gpt-deploy"}
    assert {r["headers"]["authorization"] for r in fake.state.requests} == {"Bearer cli-key"}


def test_the_cli_refuses_the_model_policy_without_azure_settings(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("AZURE_OPENAI_ENDPOINT", raising=False)
    monkeypatch.delenv("AZURE_OPENAI_API_KEY", raising=False)
    monkeypatch.chdir(tmp_path)  # no .env to find here
    data = tmp_path / "rows.jsonl"
    data.write_text(json.dumps(ROWS[0]) + "\n", encoding="utf-8")
    code = main(["dry-run", "--data", str(data), "--tool-url", "http://127.0.0.1:9/tool/search_catalog",
                 "--grader-url", "http://127.0.0.1:9/score", "--model", "gpt-deploy"])
    assert code == 2 and "AZURE_OPENAI_ENDPOINT" in capsys.readouterr().err


def test_keyless_the_model_policy_sends_an_entra_id_bearer_token(fake_model, real_app, monkeypatch):
    refuse_default_credential(monkeypatch)
    fake, fake_url = fake_model
    _, url = real_app
    before = len(fake.state.requests)
    credential = FakeCredential()
    report = _play(ROWS[:1], url, ModelPolicy(_client(fake_url, None, credential), "keyless"))
    assert report.exit_code == 0 and [e.reward for e in report.episodes] == [1.0]
    sent = fake.state.requests[before:]
    assert sent and {r["headers"]["authorization"] for r in sent} == {"Bearer entra-token-1"}
    assert credential.scopes == [("https://cognitiveservices.azure.com/.default",)]


def test_the_cli_runs_the_model_policy_keyless(fake_model, real_app, tmp_path, monkeypatch, capsys):
    """Without AZURE_OPENAI_API_KEY, `dry-run --policy model` signs in like the notebook: DefaultAzureCredential
    (here a fake in its place)."""
    fake, fake_url = fake_model
    _, url = real_app
    fake_default_credential(monkeypatch)
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", fake_url)
    monkeypatch.delenv("AZURE_OPENAI_API_KEY", raising=False)
    monkeypatch.chdir(tmp_path)  # no .env with a key to find here
    data = tmp_path / "rows.jsonl"
    data.write_text(json.dumps(ROWS[0]) + "\n", encoding="utf-8")
    before = len(fake.state.requests)

    code = main(["dry-run", "--data", str(data), "--tool-url", f"{url}/tool/search_catalog",
                 "--grader-url", f"{url}/score", "--model", "keyless-deploy", "--json"])

    assert code == 0 and json.loads(capsys.readouterr().out)["summary"]["mean_reward"] == 1.0
    assert {r["headers"]["authorization"] for r in fake.state.requests[before:]} == {"Bearer entra-token-1"}


def test_the_sft_notebook_retests_the_deployment_keyless(fake_model, real_app, tmp_path, monkeypatch):
    """On Azure, the SFT notebook's retest plays the fine-tuned deployment, signed in like the rest of the
    notebook: without AZURE_OPENAI_API_KEY, with Entra ID (a fake in DefaultAzureCredential's place)."""
    from rftkit.notebook import NotebookSession
    from rftkit.sft.notebook import SFT_DEPLOYMENT_ENV, retest

    fake, fake_url = fake_model
    _, url = real_app
    fake_default_credential(monkeypatch)
    monkeypatch.setenv(SFT_DEPLOYMENT_ENV, "my-sft-deploy")
    rows = tmp_path / "valid.jsonl"
    rows.write_text("".join(json.dumps(r) + "\n" for r in ROWS), encoding="utf-8")
    settings = ToolkitSettings(azure_openai_endpoint=fake_url, azure_openai_api_key=None, valid_file=rows)
    session = NotebookSession(settings, None, url, False, tmp_path)
    before = len(fake.state.requests)

    path, said = asyncio.run(retest(session, job=None))

    assert said == "Retested the fine-tuned deployment my-sft-deploy on the same rows."
    assert [json.loads(line)["reward"] for line in path.read_text(encoding="utf-8").splitlines()] == [1.0, 1.0]
    sent = fake.state.requests[before:]
    assert {r["body"]["model"] for r in sent} == {"my-sft-deploy"}
    assert {r["headers"]["authorization"] for r in sent} == {"Bearer entra-token-1"}
