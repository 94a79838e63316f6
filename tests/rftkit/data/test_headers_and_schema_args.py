"""One header syntax for every command (both forms, per tool), the schema argument generator, and the dataset rule
for reference trajectories."""

from __future__ import annotations

import json
import random

import jsonschema
import pytest

from catalog_tools.tools import tool_definition
from rftkit import DATA_DIR
from rftkit.__main__ import main
from rftkit.data.reference_calls import reference_call_problems
from rftkit.data.validate import validate_files
from rftkit.rollouts.policies.schema_args import INVALID_KINDS, VALID, arguments, standard
from rftkit.rollouts.tools import job_method, job_tools, merge_tools
from rftkit.util.headers import HeaderError, parse_header, parse_headers, split_tool_header, tool_headers
from rftkit.util.jsonl import read_jsonl
from tests.multi_tool_support import GET_PRODUCT

TOOLS = ("search_catalog", "get_product")


@pytest.mark.parametrize(("text", "expected"), [
    ("X-Functions-Key: abc", ("X-Functions-Key", "abc")),
    ("X-Functions-Key:abc", ("X-Functions-Key", "abc")),
    ("Authorization: Bearer a=b==", ("Authorization", "Bearer a=b==")),  # curl's form: the colon comes first
    ("X-Functions-Key=abc", ("X-Functions-Key", "abc")),  # the old dry-run form
    ("X-Key=a:b", ("X-Key", "a:b")),  # the old form: the equals sign comes first
    ("X-Empty:", ("X-Empty", "")),
])
def test_both_header_forms_parse(text, expected):
    assert parse_header(text) == expected


@pytest.mark.parametrize("text", ["no separator", ": value", "Bad Name: v", "=v", ""])
def test_a_malformed_header_is_refused_naming_the_forms(text):
    with pytest.raises(HeaderError, match="'Name: value'"):
        parse_header(text)


def test_headers_bind_to_the_tool_they_name_or_to_every_tool():
    assert split_tool_header("search_catalog=X-Functions-Key: abc", TOOLS) == ("search_catalog", "X-Functions-Key",
                                                                              "abc")
    assert split_tool_header("get_product=X-Key=1", TOOLS) == ("get_product", "X-Key", "1")  # old form, bound
    assert split_tool_header("X-Functions-Key: abc", TOOLS) == (None, "X-Functions-Key", "abc")
    assert split_tool_header("search_catalog=abc", TOOLS) == (None, "search_catalog", "abc")  # not a header after =
    with pytest.raises(HeaderError, match="'get_prodcut' is not a tool of the job"):
        split_tool_header("get_prodcut=X-Key: 1", TOOLS)
    grouped = tool_headers(["X-All: 1", "get_product=X-Own: 2", "get_product=X-All: 3"], TOOLS)
    assert grouped == {None: {"X-All": "1"}, "get_product": {"X-Own": "2", "X-All": "3"}}
    assert parse_headers(["A: 1", "B=2", "A: 3"]) == {"A": "3", "B": "2"}


def test_command_line_tools_merge_with_the_jobs_and_headers_layer_job_then_all_then_own():
    job = [{"name": "search_catalog", "server_url": "https://a/tool/search_catalog", "headers": {"X-Job": "j"}},
           {"name": "get_product", "server_url": "https://a/tool/get_product"}]
    merged = merge_tools(job, [("get_product", "http://127.0.0.1:1/x"), ("third", "http://127.0.0.1:2/t")],
                         ["X-All: 1", "search_catalog=X-Job: override", "third=X-Own: 3"])
    assert merged == [
        {"name": "search_catalog", "server_url": "https://a/tool/search_catalog",
         "headers": {"X-Job": "override", "X-All": "1"}},
        {"name": "get_product", "server_url": "http://127.0.0.1:1/x", "headers": {"X-All": "1"}},
        {"name": "third", "server_url": "http://127.0.0.1:2/t", "headers": {"X-All": "1", "X-Own": "3"}},
    ]
    assert job[0]["headers"] == {"X-Job": "j"}  # the job's entries are not modified


def test_grade_takes_both_header_forms(capsys):
    for header in ("x-functions-key: k", "x-functions-key=k"):
        code = main(["grade", "--grader", "job-a", "--header", header, "--answer", "JKT-URB-009",
                     "--reference", "JKT-URB-009"])
        assert code == 0 and "1.0000" in capsys.readouterr().out
    assert main(["grade", "--grader", "job-a", "--header", "not a header", "--answer", "A", "--reference", "A"]) == 2
    assert "'Name: value'" in capsys.readouterr().err


SCHEMAS = {
    "search_catalog": tool_definition()["function"]["parameters"],
    "get_product": GET_PRODUCT["function"]["parameters"],
    "mixed": {"type": "object", "required": ["ids", "mode"], "additionalProperties": False, "properties": {
        "ids": {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": 9}, "minItems": 1},
        "mode": {"enum": ["a", "b"]}, "note": {"type": "string", "nullable": True, "maxLength": 5},
        "either": {"anyOf": [{"type": "boolean"}, {"type": "number", "exclusiveMinimum": 0}]},
        "nested": {"type": "object", "properties": {"x": {"type": ["integer", "null"]}}}}},
}


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_generated_arguments_are_what_their_case_says(name):
    schema = SCHEMAS[name]
    validator = jsonschema.Draft202012Validator(standard(schema))
    rng = random.Random(11)
    kinds, notes = set(), set()
    for i in range(300):
        text, case = arguments(schema, rng, invalid=i % 2 == 1)
        kinds.add(case)
        if case == "malformed_json":
            with pytest.raises(ValueError):
                json.loads(text)
            continue
        value = json.loads(text)
        if case == VALID:
            assert validator.is_valid(value), (text, case)
            if "note" in value:
                notes.add(type(value["note"]).__name__)
        else:
            assert case in INVALID_KINDS and not validator.is_valid(value), (text, case)
    assert VALID in kinds and len(kinds - {VALID}) >= 3
    if name == "mixed":
        assert notes == {"str", "NoneType"}  # `nullable`: null is drawn as well as strings


def test_the_same_seed_draws_the_same_arguments():
    def draw(seed):
        rng = random.Random(seed)
        return [arguments(SCHEMAS["mixed"], rng, invalid=i % 3 == 0) for i in range(50)]
    assert draw(5) == draw(5) and draw(5) != draw(6)


def test_validate_checks_reference_calls_against_the_rows_tools(tmp_path):
    rows = read_jsonl(DATA_DIR / "valid_tool.jsonl")[:12]
    assert all(reference_call_problems(r) == [] for r in rows)
    rows[0]["metadata"]["reference_calls"] = [{"name": "lookup_order", "arguments": {"order": "X"}}]
    rows[1]["metadata"]["reference_calls"] = [{"name": "search_catalog", "arguments": {"top_k": 50}}]
    rows[2]["metadata"]["reference_calls"] = [{"name": "search_catalog", "arguments": "{not json"}]
    rows[3]["metadata"]["reference_calls"] = []
    path = tmp_path / "valid.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    report = validate_files([path])
    found = {i.line: i.message for i in report.errors if i.code == "reference-calls"}
    assert set(found) == {1, 2, 3, 4}, report.render()
    assert "calls 'lookup_order', which is not in the row's tools (get_product, search_catalog)" in found[1]
    assert "'query' is a required property" in found[2]  # the first problem jsonschema ranks best
    assert "is a string but not JSON" in found[3]
    assert "must be a non-empty list" in found[4]


@pytest.mark.parametrize("shape", ["body", "method", "reinforcement"])
def test_a_job_is_read_from_its_body_its_method_or_its_reinforcement_object(shape):
    reinforcement = {"grader": {"type": "endpoint", "url": "https://x/score"}, "max_episode_steps": 4,
                     "tools": [{"name": "search_catalog", "server_url": "https://x/tool/search_catalog"}]}
    method = {"type": "reinforcement", "reinforcement": reinforcement}
    given = {"body": {"model": "m", "method": method}, "method": method, "reinforcement": reinforcement}[shape]
    assert job_method(given) == reinforcement
    assert job_tools(job_method(given)) == reinforcement["tools"]


def test_a_job_that_is_not_reinforcement_or_has_bad_tools_is_named():
    with pytest.raises(ValueError, match="no method.reinforcement"):
        job_method({"model": "m", "method": {"type": "supervised", "supervised": {}}}, "job.json")
    with pytest.raises(ValueError, match=r"tools\[0\].server_url: is missing: the key is `server_url`"):
        job_tools({"tools": [{"name": "t", "url": "https://x"}]}, "job.json")
