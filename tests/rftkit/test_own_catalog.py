"""Acceptance: another shop's 20-product catalog, SKUs without hyphens, works end to end with one setting
(CATALOG_PATH): data made for it, its tool schema, the grader, reward-hacks, a scripted dry run, and the demo
refusing data made for another catalog."""

from __future__ import annotations

import json

import pytest

from catalog_tools.config import Settings
from catalog_tools.search import Catalog
from catalog_tools.tools import tool_definition, tool_definitions
from rftkit import DATA_DIR
from rftkit.__main__ import main
from rftkit.notebook.demo import run_demo
from rftkit.rollouts import read_episodes
from rftkit.util.jsonl import read_jsonl
from tests.catalog_fixture import write_catalog
from tests.support import serve

pytestmark = [pytest.mark.slow, pytest.mark.integration]  # the app under uvicorn and a demo run


@pytest.fixture()
def shop(tmp_path, monkeypatch):
    """The catalog as CATALOG_PATH (the only setting), and data made for it by make-dataset's defaults."""
    catalog = write_catalog(tmp_path / "coffee.jsonl")
    monkeypatch.chdir(tmp_path)  # no .env from the checkout
    for name in ("TRAIN_FILE", "VALID_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CATALOG_PATH", str(catalog))
    assert main(["make-dataset", "--out-dir", str(tmp_path / "data")]) == 0
    return catalog, tmp_path / "data" / "train_tool.jsonl", tmp_path / "data" / "valid_tool.jsonl"


@pytest.fixture()
def app_url(shop):
    from catalog_tools.app import create_app

    settings = Settings(catalog_path=shop[0], tool_auth_disabled=True, score_auth_disabled=True,
                        log_level="WARNING")
    with serve(create_app(settings)) as url:
        yield url


def skus_of(path) -> set[str]:
    return {row["sku"] for row in read_jsonl(path)}


def test_validate_checks_against_the_setting(shop, capsys):
    catalog, train, valid = shop
    rows = read_jsonl(train) + read_jsonl(valid)
    assert len(read_jsonl(train)) >= 10 and len(read_jsonl(valid)) >= 10
    assert {row["reference_answer"] for row in rows} <= skus_of(catalog)
    assert main(["validate", str(train), str(valid)]) == 0
    out = capsys.readouterr().out
    assert "0 errors" in out and "OK" in out
    # A small catalog cannot fill every task type evenly: that is the only warning (no tools-differ, no unknown-sku).
    warnings = [line for line in out.splitlines() if ": warning: " in line]
    assert all(line.endswith("[class-imbalance]") for line in warnings)
    # The shipped data does not fit this catalog: every reference is unknown, named with the catalog.
    assert main(["validate", str(DATA_DIR / "valid_tool.jsonl")]) == 1
    out = capsys.readouterr().out
    assert "[unknown-sku]" in out and f"the catalog {catalog}" in out and "tools-differ" in out


def test_the_tool_schema_is_the_catalogs(shop):
    catalog, train, _ = shop
    definition = tool_definition(catalog=Catalog.from_path(catalog))
    properties = definition["function"]["parameters"]["properties"]
    assert {"waterproof", "min_warmth", "size"}.isdisjoint(properties)  # these products have none of them
    assert "color" in properties and "'black'" in properties["color"]["description"]
    category = properties["category"]["description"]
    assert "'grinders', 'kettles', 'scales', 'brewers', 'filters'" in category and "jackets" not in category
    assert "jacket" not in json.dumps(definition)
    # the rows carry exactly the schemas the app serving this catalog gives, of every tool it serves
    assert read_jsonl(train)[0]["tools"] == tool_definitions(catalog=Catalog.from_path(catalog))
    assert read_jsonl(train)[0]["tools"][0] == definition
    developer = read_jsonl(train)[0]["messages"][0]["content"]
    assert "outdoor-gear" not in developer and "(for example XXXXXX000)" in developer  # written like GRDBUR001
    get_product = tool_definition("get_product", Catalog.from_path(catalog))
    assert "'GRDBUR001'" in get_product["function"]["parameters"]["properties"]["sku"]["description"]


def test_the_grader_knows_the_catalogs_codes(shop, app_url):
    import httpx

    catalog = shop[0]
    every_sku = ", ".join(sorted(skus_of(catalog)))

    def score(answer: str) -> float:
        body = {"sample": {"output_text": answer}, "item": {"reference_answer": "GRDBUR001"}, "trace_id": "t1"}
        response = httpx.post(f"{app_url}/score", json=body, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()["score"]

    assert score("GRDBUR001") == 1.0
    assert score(" grdbur001. ") == 1.0
    assert score(every_sku) == 0.0
    assert score("GRDBUR001 or GRDBUR002") == 0.0
    assert score("It is GRDBUR001, or maybe KTLGOO006.") == 0.0
    assert score("GRDBUR002") == 0.0
    assert score("The grinder you want is GRDBUR001.") == pytest.approx(0.3)  # the one code, in prose


def test_reward_hacks_uses_the_catalog_and_flags_a_grader_paying_the_list(shop, app_url, capsys):
    _, _, valid = shop
    pays_the_list = json.dumps({"type": "string_check", "name": "contains", "input": "{{sample.output_text}}",
                                "reference": "{{item.reference_answer}}", "operation": "ilike"})
    assert main(["reward-hacks", "--grader", pays_the_list, "--data", str(valid), "--json"]) == 1
    flagged = {a["attack"] for a in json.loads(capsys.readouterr().out)["answers"] if a["flagged"]}
    assert {"all_skus", "hedged_skus"} <= flagged
    # The app's own grader, with this catalog: listing every SKU earns nothing.
    assert main(["reward-hacks", "--grader", f"{app_url}/score", "--tool-url", f"{app_url}/tool/search_catalog",
                 "--data", str(valid), "--accept", "lower_case", "--json"]) == 0
    answers = {a["attack"]: a for a in json.loads(capsys.readouterr().out)["answers"]}
    assert answers["all_skus"]["mean_reward"] == 0.0 and answers["hedged_skus"]["mean_reward"] == 0.0


def test_a_scripted_dry_run_answers_with_the_catalogs_skus(shop, app_url, tmp_path, capsys):
    catalog, _, valid = shop
    episodes = tmp_path / "episodes.jsonl"
    assert main(["dry-run", "--data", str(valid), "--tool", f"search_catalog={app_url}/tool/search_catalog",
                 "--tool", f"get_product={app_url}/tool/get_product",
                 "--grader-url", f"{app_url}/score", "--episodes", str(episodes)]) == 0
    played = read_episodes(episodes)
    answers = {episode.final_answer for episode in played}
    assert answers and answers <= skus_of(catalog)
    assert sum(episode.reward for episode in played) / len(played) > 0.5


def test_the_demo_refuses_data_made_for_another_catalog(shop, tmp_path, monkeypatch, capsys):
    catalog = shop[0]
    monkeypatch.setenv("TRAIN_FILE", str(DATA_DIR / "train_tool.jsonl"))  # the shipped data, named on purpose
    assert run_demo(tmp_path / "out") == 1
    out = capsys.readouterr().out
    assert f"CATALOG_PATH is {catalog}" in out and "reference SKUs that are not in it" in out
    assert f"python -m rftkit make-dataset --catalog {catalog}" in out and "TRAIN_FILE=" in out
    assert "function app:" not in out  # stopped before starting anything


def test_the_app_gives_the_schema_for_its_catalog_and_the_shipped_one_is_unchanged(shop, catalog):
    from catalog_tools.app import create_app
    from catalog_tools.tools import tool_definitions

    app = create_app(Settings(catalog_path=shop[0], tool_auth_disabled=True, score_auth_disabled=True))
    assert app.state.service.tool_definitions() == tool_definitions(Catalog.from_path(shop[0]))
    assert app.state.service.tool_definitions() != tool_definitions()
    # The shipped catalog's schema is the argument model's own, byte for byte, as the committed rows carry it.
    assert json.dumps(tool_definitions(catalog)) == json.dumps(tool_definitions())
    assert read_jsonl(DATA_DIR / "valid_tool.jsonl")[0]["tools"] == tool_definitions(catalog=catalog)


def test_the_settings_come_from_the_environment_then_env_then_the_shipped_files(tmp_path):
    from catalog_tools.config import SHIPPED_CATALOG
    from rftkit.settings import load_settings

    env_file = tmp_path / "project" / ".env"
    env_file.parent.mkdir()
    env_file.write_text("CATALOG_PATH=shop/coffee.jsonl\nTRAIN_FILE=data/t.jsonl\n", encoding="utf-8")
    from_file = load_settings(env_file, environ={})
    assert from_file.catalog_path == (tmp_path / "project" / "shop" / "coffee.jsonl").resolve()  # beside the .env
    assert from_file.train_file == (tmp_path / "project" / "data" / "t.jsonl").resolve()
    assert from_file.valid_file == DATA_DIR / "valid_tool.jsonl" and from_file.custom_catalog
    from_env = load_settings(env_file, environ={"CATALOG_PATH": str(SHIPPED_CATALOG)})
    assert from_env.catalog_path == SHIPPED_CATALOG.resolve() and not from_env.custom_catalog
    assert from_env.catalog_path_set and not load_settings(tmp_path / "none", environ={}).catalog_path_set


def test_the_demo_runs_both_notebooks_on_the_catalog_with_that_one_setting(shop, tmp_path, capsys):
    """CATALOG_PATH only (the fixture unsets TRAIN_FILE / VALID_FILE): the demo makes data for the catalog."""
    catalog = shop[0]
    assert run_demo(tmp_path / "out", step_delay=0.05, error_rate=0.0) == 0, capsys.readouterr().out
    out = capsys.readouterr().out
    made = tmp_path / "out" / "data"
    assert f"CATALOG_PATH is {catalog} and TRAIN_FILE / VALID_FILE are not set: making data" in out
    assert f"to {made / 'valid_tool.jsonl'}" in out
    assert {row["reference_answer"] for row in read_jsonl(made / "valid_tool.jsonl")} <= skus_of(catalog)
    assert "episodes-to-sft.ipynb FAILED" not in out and out.count(" succeeded (stand-in dry run)") == 2
    sft = tmp_path / "out" / "sft"
    examples = {name: len((sft / name).read_text().splitlines()) for name in ("sft_train.jsonl", "sft_valid.jsonl")
                if (sft / name).exists()}
    # A small catalog gives few examples: the split keeps the service's minimum in each file it writes.
    assert examples["sft_train.jsonl"] >= 10 and all(n >= 10 for n in examples.values()), examples
    answers = {json.loads(line)["messages"][-1]["content"] for line in (sft / "sft_train.jsonl").read_text()
               .splitlines()}
    assert answers <= skus_of(catalog)  # the supervised answers are the catalog's own codes


def test_the_catalog_page_gives_the_fixtures_row_counts(shop):
    from tests.support import REPO_ROOT

    _, train, valid = shop
    said = f"gives {len(read_jsonl(train))} training and {len(read_jsonl(valid))} validation rows"
    assert said in " ".join((REPO_ROOT / "docs" / "catalog.md").read_text(encoding="utf-8").split())
