"""Fuzzing: schemathesis against the app's own OpenAPI (auth off and on), and hypothesis properties of the
grader's answer extraction and the tool's argument parsing."""

from __future__ import annotations

import json
import math

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from catalog_tools.grading import grade
from catalog_tools.search_tool import SearchArguments, run_search
from tests.support import make_app, shipped_catalog

KEY = "fuzz-key-0123456789"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          negative_data_rejection]
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)

open_schema = schemathesis.openapi.from_asgi("/openapi.json", make_app())
secured_schema = schemathesis.openapi.from_asgi(
    "/openapi.json", make_app(tool_auth_disabled=False, score_auth_disabled=False, tool_api_key=KEY,
                              score_api_key=KEY))


@open_schema.parametrize()
@FUZZ
def test_api_with_auth_off(case):
    case.call_and_validate(checks=CHECKS)


@secured_schema.parametrize()
@FUZZ
def test_api_with_auth_on_and_the_key(case):
    case.call_and_validate(headers={"X-Functions-Key": KEY}, checks=CHECKS)


@secured_schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_with_auth_on_and_no_key(case):
    response = case.call(headers={"api-key": "wrong"})
    assert response.status_code < 500
    # 405 comes from the coverage phase trying other methods; 404 from paths a route cannot match.
    if case.path in ("/score", "/tool/search_catalog", "/traces/{trace_id}") and response.status_code not in (404, 405):
        assert response.status_code == 401 and response.json()["error"]["code"] == "unauthorized"


json_values = st.recursive(st.none() | st.booleans() | st.floats(allow_nan=False) | st.integers() | st.text(),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
                           max_leaves=20)
samples = st.fixed_dictionaries({}, optional={
    "output_text": st.none() | st.text(), "output_json": json_values,
    "choices": st.lists(st.fixed_dictionaries({"message": st.fixed_dictionaries({"content": json_values})})),
    "output_tools": json_values})


@given(sample=samples, reference=st.text(min_size=1).filter(lambda s: s.strip()),
       calls=st.integers(min_value=0, max_value=10_000), offered=st.booleans())
@settings(max_examples=300, deadline=None)
def test_any_sample_scores_in_unit_interval(sample, reference, calls, offered):
    result = grade(sample, reference, calls, offered)
    assert 0.0 <= result.score <= 1.0 and not math.isnan(result.score)


@given(text=st.text())
@settings(max_examples=300, deadline=None)
def test_any_answer_text_scores_in_unit_interval(text):
    assert 0.0 <= grade({"output_text": text}, "JKT-URB-009", 1, True).score <= 1.0


arguments = st.one_of(st.text(), json_values, st.dictionaries(
    st.sampled_from(list(SearchArguments.model_fields) + ["colour", "limit"]), json_values, max_size=6))


@given(raw=arguments)
@settings(max_examples=300, deadline=None)
def test_any_tool_arguments_give_a_json_output(raw):
    output, ok = run_search(raw, shipped_catalog(), 16_000, time_budget=5.0)
    parsed = json.loads(output)
    assert isinstance(parsed, dict) and len(output) <= 16_000
    assert ok == ("error" not in parsed)
