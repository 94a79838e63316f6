"""Job A / Job B builders, field by field, and every check they make.

The bodies are those docs/service-contract.md#job-body describes.
"""

from __future__ import annotations

import copy
import warnings

import pytest

from catalog_tools.tools import TOOLS
from rftkit import DATA_DIR, REPO_ROOT
from rftkit.jobs.builders import (
    DEFAULT_HYPERPARAMETERS,
    JobSpecError,
    JobSpecWarning,
    UnknownModelWarning,
    check_spec,
    job_a_spec,
    job_b_spec,
    spec_cautions,
    spec_problems,
)
from rftkit.settings import (
    OpenAIVersionError,
    SettingsError,
    ToolkitSettings,
    load_settings,
    make_client,
    require_openai_version,
)
from tests.rft_rows import ROWS, write_jsonl

APP = "https://my-func-app.azurewebsites.net"
FILES = {"training_file": "file-train", "validation_file": "file-valid"}
CONTRACT_HYPERPARAMETERS = {"n_epochs": "auto", "batch_size": "auto", "learning_rate_multiplier": "auto",
                            "compute_multiplier": 1.0, "eval_interval": 3, "eval_samples": 5,
                            "reasoning_effort": "medium"}


def build_a(**overrides):
    return job_a_spec(**{**FILES, "rows": ROWS, "tool_base_url": APP, **overrides})


def build_b(**overrides):
    return job_b_spec(**{**FILES, "rows": ROWS, "tool_base_url": APP, **overrides})


def problems_of(build, **overrides) -> list[str]:
    with pytest.raises(JobSpecError) as info:
        build(**overrides)
    return [str(p) for p in info.value.problems]


# -- the valid specs, against docs/service-contract.md#job-body ------------------------------------------------------

def test_job_a_matches_the_contract_field_by_field():
    spec = build_a()
    assert set(spec) == {"model", "training_file", "validation_file", "suffix", "seed", "method"}
    assert spec["model"] == "gpt-5-2025-08-07"
    assert (spec["training_file"], spec["validation_file"], spec["seed"]) == ("file-train", "file-valid", 42)
    assert spec["suffix"] == "job-a"
    method = spec["method"]
    assert method["type"] == "reinforcement" and set(method) == {"type", "reinforcement"}
    body = method["reinforcement"]
    assert set(body) == {"grader", "tools", "max_episode_steps", "hyperparameters"}
    assert body["tools"] == [{"name": "search_catalog", "server_url": f"{APP}/tool/search_catalog"}]
    assert body["max_episode_steps"] == 10  # beside hyperparameters, not inside
    assert body["hyperparameters"] == CONTRACT_HYPERPARAMETERS
    grader = body["grader"]
    assert grader["type"] == "multi"
    assert grader["calculate_output"] == "0.9 * exact + 0.1 * fuzzy * floor(fuzzy + 0.2)"
    assert set(grader["graders"]) == {"exact", "fuzzy"}
    exact, fuzzy = grader["graders"]["exact"], grader["graders"]["fuzzy"]
    assert (exact["type"], exact["operation"]) == ("string_check", "eq")
    assert (fuzzy["type"], fuzzy["evaluation_metric"]) == ("text_similarity", "fuzzy_match")
    for sub in (exact, fuzzy):
        assert (sub["input"], sub["reference"]) == ("{{sample.output_text}}", "{{item.reference_answer}}")


def test_job_b_matches_the_contract_field_by_field():
    spec = build_b(func_key="secret")
    assert spec["model"] == "o4-mini-2025-04-16"
    assert spec["suffix"] == "job-b"
    body = spec["method"]["reinforcement"]
    # Endpoint grader: no headers even when the tool has a key (the service may not forward grader headers).
    assert body["grader"] == {"type": "endpoint", "name": "catalog_grader", "url": f"{APP}/score", "rate_limit": 50}
    assert body["tools"] == [{"name": "search_catalog", "server_url": f"{APP}/tool/search_catalog",
                              "headers": {"X-Functions-Key": "secret"}}]
    assert body["max_episode_steps"] == 10
    assert body["hyperparameters"] == CONTRACT_HYPERPARAMETERS


@pytest.mark.parametrize("build", [job_a_spec, job_b_spec])
def test_jobs_on_the_shipped_data_list_every_tool_the_app_serves(build):
    """The shipped rows declare every registered tool: one entry each at <base>/tool/<name>, the key on each; rows
    declaring only some of them get only those (a job tool the rows lack is refused)."""
    shipped = [DATA_DIR / "train_tool.jsonl", DATA_DIR / "valid_tool.jsonl"]
    body = build(**FILES, rows=shipped, tool_base_url=APP, func_key="k")["method"]["reinforcement"]
    assert [t["name"] for t in body["tools"]] == TOOLS.names == ["search_catalog", "get_product"]
    assert body["tools"] == [{"name": n, "server_url": f"{APP}/tool/{n}", "headers": {"X-Functions-Key": "k"}}
                             for n in TOOLS.names]
    rows = iter(ROWS)  # read once, still checked
    assert [t["name"] for t in build(**FILES, rows=rows, tool_base_url=APP)["method"]["reinforcement"]["tools"]] == [
        "search_catalog"]
    problems = problems_of(lambda **o: build(**FILES, rows=ROWS, tool_base_url=APP, **o),
                           tool_names=TOOLS.names)
    assert problems == ["method.reinforcement.tools[1].name: 'get_product' is not a function in the dataset rows' "
                        "tools (search_catalog)"]


def test_overrides_are_merged_and_specs_are_independent_copies():
    spec = build_a(hyperparameters={"eval_samples": 10}, max_episode_steps=4, model="o4-mini-2025-04-16",
                   suffix=None, seed=None, tool_base_url=APP + "/")
    body = spec["method"]["reinforcement"]
    assert body["hyperparameters"] == {**CONTRACT_HYPERPARAMETERS, "eval_samples": 10}
    assert body["max_episode_steps"] == 4
    assert "suffix" not in spec and "seed" not in spec
    assert body["tools"][0]["server_url"] == f"{APP}/tool/search_catalog"  # no double slash
    body["hyperparameters"]["n_epochs"] = 3
    assert DEFAULT_HYPERPARAMETERS["n_epochs"] == "auto"


def test_rows_can_be_a_jsonl_path_or_several(tmp_path):
    train = write_jsonl(tmp_path / "train.jsonl", ROWS)
    valid = write_jsonl(tmp_path / "valid.jsonl", ROWS[:1])
    assert build_a(rows=train)["model"] == "gpt-5-2025-08-07"
    assert build_b(rows=[train, str(valid)])["model"] == "o4-mini-2025-04-16"


def test_loopback_http_is_accepted_for_a_local_app():
    for base in ("http://127.0.0.1:7071", "http://localhost:8000"):
        assert build_b(tool_base_url=base)["method"]["reinforcement"]["grader"]["url"] == f"{base}/score"


# -- each check --------------------------------------------------------------------------------------------------------

def test_tool_name_not_in_the_rows():
    rows = [{**ROWS[0], "tools": [{"type": "function", "function": {"name": "lookup", "parameters": {}}}]}]
    problems = problems_of(build_a, rows=rows)
    assert any(p.startswith("method.reinforcement.tools[0].name: 'search_catalog' is not a function") for p in problems)
    assert any("declare 'lookup' but no tools entry" in p for p in problems)


def test_rows_without_tools():
    rows = [{k: v for k, v in ROWS[0].items() if k != "tools"}]
    assert any("declare no functions" in p for p in problems_of(build_b, rows=rows))


@pytest.mark.parametrize("base, why", [
    ("my-func-app.azurewebsites.net", "must be an absolute http(s) URL"),
    ("ftp://my-func-app.azurewebsites.net", "must be an absolute http(s) URL"),
    ("http://my-func-app.azurewebsites.net", "must use https"),
])
def test_urls_must_be_absolute_and_https(base, why):
    problems = problems_of(build_b, tool_base_url=base)
    assert any(p.startswith("method.reinforcement.tools[0].server_url: " + why) for p in problems)
    assert any(p.startswith("method.reinforcement.grader") for p in problems)  # the grader URL too


@pytest.mark.parametrize("formula, why", [
    ("0.9 * exact + 0.1 * fuzz", "fuzz"),           # names a key that is not in `graders`
    ("0.9 * exact ** 2 + 0.1 * fuzzy", "calculate_output"),  # ** is not an allowed operator
    ("round(exact) + fuzzy", "round"),              # not an allowed function
])
def test_multi_grader_formula_is_checked(formula, why):
    from rftkit.graders.presets import job_a_grader

    grader = job_a_grader()
    grader["calculate_output"] = formula
    problems = problems_of(build_a, grader=grader)
    assert problems and all(p.startswith("method.reinforcement.grader.calculate_output: ") for p in problems)
    assert any(why in p for p in problems)


def test_grader_type_not_allowed_in_rft():
    problems = problems_of(build_a, grader={"type": "label_model", "name": "x"})
    assert len(problems) == 1 and problems[0].startswith(
        "method.reinforcement.grader.type: a label_model grader is accepted only inside a multi grader")


@pytest.mark.parametrize("name, value", [
    ("n_epochs", 0), ("n_epochs", 51), ("n_epochs", 2.5), ("batch_size", 0), ("batch_size", 257),
    ("batch_size", True), ("learning_rate_multiplier", 0), ("learning_rate_multiplier", -1.0),
    ("compute_multiplier", 0), ("compute_multiplier", 10.5), ("eval_interval", 0), ("eval_samples", 0),
    ("reasoning_effort", "max"), ("eval_samples", "many"),
])
def test_hyperparameters_out_of_range(name, value):
    problems = problems_of(build_a, hyperparameters={name: value})
    assert problems == [p for p in problems if p.startswith(f"method.reinforcement.hyperparameters.{name}: ")]
    assert len(problems) == 1


def test_unknown_hyperparameter_and_max_episode_steps_in_the_wrong_place():
    problems = problems_of(build_a, hyperparameters={"epochs": 3, "max_episode_steps": 5})
    assert any(p.startswith("method.reinforcement.hyperparameters.epochs: is not a reinforcement") for p in problems)
    assert any("belongs beside hyperparameters" in p for p in problems)


def test_range_edges_are_accepted_and_older_azure_ranges_only_warn():
    with pytest.warns(UserWarning, match="older Azure doc"):
        spec = build_a(hyperparameters={"n_epochs": 50, "batch_size": 256, "compute_multiplier": 10,
                                        "eval_interval": 30, "eval_samples": "auto", "reasoning_effort": "default"})
    assert spec["method"]["reinforcement"]["hyperparameters"]["compute_multiplier"] == 10


@pytest.mark.parametrize("steps", [0, -1, 2.0, True])
def test_max_episode_steps_must_be_a_positive_integer(steps):
    assert any(p.startswith("method.reinforcement.max_episode_steps: must be a positive integer")
               for p in problems_of(build_a, max_episode_steps=steps))


@pytest.mark.parametrize("validation_file", [None, ""])
def test_a_validation_file_is_required(validation_file):
    problems = problems_of(build_b, validation_file=validation_file)
    assert any(p.startswith("validation_file: is required for reinforcement fine-tuning") for p in problems)


def test_validation_file_same_as_training_file_warns():
    with pytest.warns(UserWarning, match="validation_file is the training file"):
        build_a(validation_file="file-train")


def test_suffix_length():
    assert any(p.startswith("suffix:") for p in problems_of(build_a, suffix="x" * 65))


def test_every_problem_is_reported_at_once():
    with pytest.raises(JobSpecError) as info:
        build_a(validation_file=None, hyperparameters={"n_epochs": 0}, tool_base_url="http://example.com")
    params = {p.param for p in info.value.problems}
    assert {"validation_file", "method.reinforcement.hyperparameters.n_epochs",
            "method.reinforcement.tools[0].server_url"} <= params
    assert "validation_file: is required" in str(info.value)


def test_unknown_model_warns_but_builds():
    with pytest.warns(UnknownModelWarning, match="gpt-4o-mini"):
        spec = build_b(model="gpt-4o-mini")
    assert spec["model"] == "gpt-4o-mini"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        build_b(model="gpt-5-2025-08-07")
        build_a(model="o4-mini-2025-04-16")


def test_unreadable_rows_are_a_spec_error(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"messages": []}\nnot json\n', encoding="utf-8")
    problems = problems_of(build_a, rows=bad)
    assert problems[0].startswith("rows: cannot read the dataset rows") and "bad.jsonl:2:" in problems[0]
    assert problems_of(build_a, rows=tmp_path / "missing.jsonl")[0].startswith("rows: ")


def test_spec_problems_on_a_raw_body():
    spec = copy.deepcopy(build_a())
    spec["hyperparameters"] = {"n_epochs": 1}
    spec["method"]["reinforcement"]["tools"][0] = {"name": "search_catalog", "url": f"{APP}/tool/search_catalog"}
    spec["method"]["type"] = "reinforcement"
    params = {p.param: p.message for p in spec_problems(spec, ROWS)}
    assert "hyperparameters" not in params  # deprecated, not refused: see spec_cautions
    assert "`server_url`, not `url`" in params["method.reinforcement.tools[0].server_url"]
    spec["method"]["type"] = "supervised"
    assert [p.param for p in spec_problems(spec, ROWS)][-1] == "method.type"

    del spec["hyperparameters"], spec["method"]["reinforcement"]["max_episode_steps"]
    spec["method"]["type"] = "reinforcement"
    spec["method"]["reinforcement"]["tools"][0] = {"name": "search_catalog", "server_url": f"{APP}/tool/x"}
    assert spec_problems(spec, ROWS) == []  # max_episode_steps may be omitted (the service's default)


def test_top_level_hyperparameters_warn_as_deprecated_but_are_not_refused():
    spec = copy.deepcopy(build_a())
    assert spec_cautions(spec) == []
    spec["hyperparameters"] = {"n_epochs": 1}
    with pytest.warns(JobSpecWarning, match="deprecated in favour of `method`"):
        assert check_spec(spec, ROWS) == spec


@pytest.mark.parametrize(("key", "nearest"), [("max_episode_step", "max_episode_steps"),
                                              ("response_fromat", "response_format"), ("graders", "grader")])
def test_an_unknown_reinforcement_key_warns_naming_the_nearest_known_one(key, nearest):
    spec = copy.deepcopy(build_b())
    spec["method"]["reinforcement"][key] = 5
    assert spec_problems(spec, ROWS) == []
    with pytest.warns(JobSpecWarning, match=f"method.reinforcement.{key} is not a known key \\(did you mean "
                                            f"'{nearest}'\\?\\)"):
        check_spec(spec, ROWS)


def test_known_reinforcement_keys_do_not_warn():
    spec = copy.deepcopy(build_b())
    spec["method"]["reinforcement"]["response_format"] = {"type": "json_schema", "json_schema": {"name": "x"}}
    assert spec_cautions(spec) == []
    spec["method"]["reinforcement"]["zzz"] = 1
    assert spec_cautions(spec) == ["method.reinforcement.zzz is not a known key (known keys: grader, hyperparameters,"
                                   " tools, max_episode_steps, response_format); the service may ignore or refuse it"]


# -- settings (.env) and the client ----------------------------------------------------------------------------------

def test_settings_from_env_file(tmp_path):
    env = tmp_path / ".env"
    env.write_text('AZURE_OPENAI_ENDPOINT="https://res.openai.azure.com/"\nAZURE_OPENAI_API_KEY=k1\n'
                   "FUNC_APP_NAME=my-func-app\nFUNC_KEY=fk\nJOB_B_MODEL=gpt-5-2025-08-07\n", encoding="utf-8")
    s = load_settings(env, environ={})
    assert s.uses_azure and s.azure_openai_endpoint == "https://res.openai.azure.com"
    assert s.tool_base_url == APP
    assert s.tool_headers == {"X-Functions-Key": "fk"}
    assert (s.job_a_model, s.job_b_model) == ("gpt-5-2025-08-07", "gpt-5-2025-08-07")
    assert s.openai_base_url == "https://res.openai.azure.com/openai/v1/"


def test_tool_base_url_wins_and_the_environment_wins_over_the_file(tmp_path):
    env = tmp_path / ".env"
    env.write_text("FUNC_APP_NAME=my-func-app\nTOOL_BASE_URL=http://127.0.0.1:7071/\nJOB_A_MODEL=o4-mini-2025-04-16\n",
                   encoding="utf-8")
    s = load_settings(env, environ={"JOB_A_MODEL": "gpt-5-2025-08-07"})
    assert s.tool_base_url == "http://127.0.0.1:7071"
    assert s.job_a_model == "gpt-5-2025-08-07"


def test_env_example_placeholders_count_as_unset():
    s = load_settings(REPO_ROOT / ".env.example", environ={})
    assert (s.azure_openai_endpoint, s.azure_openai_api_key, s.tool_base_url, s.func_key) == (None, None, None, None)
    assert not s.uses_azure
    assert (s.job_a_model, s.job_b_model) == ("gpt-5-2025-08-07", "o4-mini-2025-04-16")


def test_make_client_for_azure_and_for_the_standin(tmp_path):
    azure = make_client(ToolkitSettings(azure_openai_endpoint="https://res.openai.azure.com", azure_openai_api_key="k"))
    assert str(azure.base_url) == "https://res.openai.azure.com/openai/v1/" and azure.api_key == "k"
    for standin_url in ("http://127.0.0.1:9999", "http://127.0.0.1:9999/openai/v1/"):  # as the stand-in prints it
        local = make_client(load_settings(tmp_path / "none.env", environ={"STANDIN_URL": standin_url}))
        assert str(local.base_url) == "http://127.0.0.1:9999/openai/v1/"


def test_make_client_names_what_is_missing(tmp_path):
    with pytest.raises(SettingsError, match="AZURE_OPENAI_ENDPOINT is not set"):
        make_client(load_settings(tmp_path / "none.env", environ={}))


@pytest.mark.parametrize("version", ["1.66.3", "1.77.0", "1.105.0", "0.28.1"])
def test_an_openai_client_too_old_is_refused_with_what_to_do(version):
    with pytest.raises(OpenAIVersionError, match=f"openai {version} is too old.*openai>=1.106.*alpha.graders"):
        require_openai_version(version)


@pytest.mark.parametrize("version", ["1.106.0", "1.109.1", "2.0.0", "3.57.0rc1"])
def test_openai_1_106_and_later_are_accepted(version):
    require_openai_version(version)


def test_requirements_pin_the_minimum_openai_the_toolkit_checks():
    lines = (REPO_ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
    assert any(line.split("#")[0].strip() == "openai>=1.106" for line in lines)
