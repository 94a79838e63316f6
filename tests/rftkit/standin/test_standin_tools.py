"""Stand-in dry-run jobs with several tools: the job's tools are all played, and the events say by which policy."""

from __future__ import annotations

from rftkit.jobs.builders import job_a_spec, job_b_spec
from tests import standin_support
from tests.multi_tool_support import GET_PRODUCT, product_app, two_tool_rows
from tests.rft_rows import ROWS
from tests.standin_support import Recorder, events, metrics, upload_rows, wait_job
from tests.support import make_app, serve

standin, client = standin_support.standin, standin_support.client


def policy_event(client, job_id) -> str:
    return next(e.message for e in events(client, job_id) if e.message.startswith("Rollouts are played by"))


def test_a_job_with_two_tools_replays_both_on_their_own_urls(client, tmp_path):
    rows = two_tool_rows(6)
    train, valid = upload_rows(client, tmp_path, rows, "train.jsonl"), upload_rows(client, tmp_path, rows, "v.jsonl")
    app, products = Recorder(make_app()), product_app()
    with serve(app) as app_url, serve(products) as product_url:
        tools = [{"name": "search_catalog", "server_url": f"{app_url}/tool/search_catalog"},
                 {"name": "get_product", "server_url": f"{product_url}/tool/get_product",
                  "headers": {"X-Product-Key": "p-1"}}]
        spec = job_b_spec(training_file=train.id, validation_file=valid.id, rows=rows, tool_base_url=app_url,
                          tools=tools)
        assert [t["name"] for t in spec["method"]["reinforcement"]["tools"]] == ["search_catalog", "get_product"]
        job = wait_job(client, client.fine_tuning.jobs.create(**spec).id)

    assert job.status == "succeeded", job.error
    assert "replay for 6 rows (the row's reference_calls)" in policy_event(client, job.id)
    assert metrics(client, job.id)[-1]["full_valid_mean_reward"] == 1.0
    traces = {t for step in metrics(client, job.id) for t in step["rollouts"]["trace_ids"]}
    searched = {b["trace_id"] for b in app.bodies("/tool/search_catalog")}
    looked_up = {body["trace_id"] for _, body, _ in products.state.calls}
    assert searched == looked_up == traces and len(traces) == len(rows)  # every rollout used both tools
    assert {body["name"] for _, body, _ in products.state.calls} == {"get_product"}
    assert all(headers["x-product-key"] == "p-1" for _, _, headers in products.state.calls)


def test_rows_without_a_trajectory_for_an_unknown_tool_are_played_by_the_schema_policy(client, tmp_path):
    rows = [{"messages": [{"role": "developer", "content": "Use get_product."},
                          {"role": "user", "content": f"Tell me about {sku}"}],
             "tools": [GET_PRODUCT], "reference_answer": sku, "id": f"p{i}"}
            for i, sku in enumerate(("JKT-URB-009", "JKT-ALP-002", "JKT-ALP-001"))]
    train, valid = upload_rows(client, tmp_path, rows, "train.jsonl"), upload_rows(client, tmp_path, rows, "v.jsonl")
    products = product_app()
    with serve(products) as url:
        tools = [{"name": "get_product", "server_url": f"{url}/tool/get_product"}]
        spec = job_a_spec(training_file=train.id, validation_file=valid.id, rows=rows, tool_base_url=url,
                          tools=tools)
        job = wait_job(client, client.fine_tuning.jobs.create(**spec).id)
    assert job.status == "succeeded", job.error
    assert "schema for 3 rows (calls drawn from the tools' schemas; rewards mean nothing)" in policy_event(
        client, job.id)
    calls = products.state.calls
    assert len(calls) >= len(rows) and {body["name"] for _, body, _ in calls} == {"get_product"}
    assert {body["item"]["id"] for _, body, _ in calls} == {r["id"] for r in rows}  # every row's rollout called it


def test_the_shipped_style_rows_without_trajectories_keep_the_scripted_policy(client, tmp_path):
    train, valid = upload_rows(client, tmp_path, ROWS, "train.jsonl"), upload_rows(client, tmp_path, ROWS, "v.jsonl")
    with serve(make_app()) as url:
        spec = job_a_spec(training_file=train.id, validation_file=valid.id, rows=ROWS, tool_base_url=url)
        job = wait_job(client, client.fine_tuning.jobs.create(**spec).id)
    assert job.status == "succeeded" and metrics(client, job.id)[-1]["full_valid_mean_reward"] == 1.0
    played = policy_event(client, job.id)
    assert played == "Rollouts are played by: scripted for 3 rows (the catalog's scripted policy)."
