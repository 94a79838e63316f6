"""Grader templates: namespaces, dotted paths and indexes, value rendering, and missing variables."""

from __future__ import annotations

import pytest

from rftkit.graders import run_grader, sample_from_text
from rftkit.graders.templates import TemplateVariableError, check_template, parse_variable, render, variables

SAMPLE = {
    "output_text": "JKT-URB-009",
    "output_json": {"sku": "JKT-URB-009", "alternatives": ["JKT-ALP-001", "JKT-ALP-002"], "count": 2,
                    "in_stock": True, "nested": {"a": [{"b": "deep"}]}},
    "output_tools": [{"id": "fc_1", "type": "function",
                      "function": {"name": "search_catalog", "arguments": "{\"query\":\"puffer\"}"}}],
    "choices": [],
}
ITEM = {"reference_answer": "JKT-URB-009", "metadata": {"task_type": "lookup", "difficulty": "easy"},
        "messages": [{"role": "user", "content": "find a puffer", "name": None}]}
CONTEXT = {"item": ITEM, "sample": SAMPLE}


@pytest.mark.parametrize(("template", "expected"), [
    ("{{item.reference_answer}}", "JKT-URB-009"),
    ("{{ item.reference_answer }}", "JKT-URB-009"),
    ("{{item.metadata.task_type}}/{{item.metadata.difficulty}}", "lookup/easy"),
    ("{{item.messages[0].content}}", "find a puffer"),
    ("{{sample.output_text}}", "JKT-URB-009"),
    ("{{sample.output_json.sku}}", "JKT-URB-009"),
    ("{{sample.output_json.alternatives[1]}}", "JKT-ALP-002"),
    ("{{sample.output_json.nested.a[0].b}}", "deep"),
    ("{{sample.output_tools[0].function.name}}", "search_catalog"),
    ("{{sample.output_tools[0].function.arguments}}", "{\"query\":\"puffer\"}"),
    ("answer={{sample.output_text}}; expected={{item.reference_answer}}", "answer=JKT-URB-009; expected=JKT-URB-009"),
    ("no variables at all", "no variables at all"),
    ("{{ not closed", "{{ not closed"),
])
def test_render_substitutes_paths(template, expected):
    assert render(template, CONTEXT) == expected


def test_non_string_values_render_as_json():
    assert render("{{sample.output_json.count}}", CONTEXT) == "2"
    assert render("{{sample.output_json.in_stock}}", CONTEXT) == "true"
    assert render("{{sample.output_json.alternatives}}", CONTEXT) == '["JKT-ALP-001", "JKT-ALP-002"]'
    assert render("{{sample.output_json.nested}}", CONTEXT) == '{"a": [{"b": "deep"}]}'


@pytest.mark.parametrize(("template", "reason"), [
    ("{{item.answer}}", "item has no key 'answer'"),
    ("{{item.metadata.topic}}", "item.metadata has no key 'topic'"),
    ("{{sample.output_tools[1].function.name}}", "sample.output_tools has 1 entries, no [1]"),
    ("{{item.reference_answer.sku}}", "item.reference_answer is str, cannot take 'sku'"),
    ("{{item.metadata[0]}}", "item.metadata is dict, cannot take 0"),
    ("{{row.reference_answer}}", "unknown namespace 'row'"),
    ("{{item}}", "name a variable inside 'item'"),
    ("{{item..reference_answer}}", "cannot read the path"),
    ("{{}}", "expected `namespace.variable`"),
])
def test_unresolvable_variables_raise(template, reason):
    with pytest.raises(TemplateVariableError) as info:
        render(template, CONTEXT)
    assert reason in str(info.value)


def test_null_values_are_missing():
    context = {"item": {"reference_answer": None}, "sample": sample_from_text("plain text")}
    with pytest.raises(TemplateVariableError, match="item.reference_answer is null"):
        render("{{item.reference_answer}}", context)
    with pytest.raises(TemplateVariableError, match="sample.output_json is null, cannot take 'sku'"):
        render("{{sample.output_json.sku}}", context)


def test_parse_and_check_templates():
    assert parse_variable("sample.output_tools[0].function.name") == ("sample", ["output_tools", 0, "function", "name"])
    assert variables("{{ item.a }} and {{sample.b[2]}}") == ["item.a", "sample.b[2]"]
    assert check_template("{{item.a}} {{sample.output_text}}") == []
    problems = check_template("{{item.a}} {{foo.bar}} {{sample}}")
    assert len(problems) == 2
    assert "unknown namespace 'foo'" in problems[0] and "name a variable inside 'sample'" in problems[1]


def test_missing_variable_in_run_is_invalid_variable_error():
    grader = {"type": "string_check", "name": "exact", "input": "{{sample.output_text}}",
              "reference": "{{item.answer}}", "operation": "eq"}
    result = run_grader(grader, sample_from_text("JKT-URB-009"), {"reference_answer": "JKT-URB-009"})
    assert result["reward"] == 0.0
    assert result["metadata"]["errors"]["invalid_variable_error"] is True
    assert result["metadata"]["errors"]["other_error"] is False
    assert result["metadata"]["error_messages"] == ["{{item.answer}}: item has no key 'answer'"]


def test_missing_variable_in_multi_gives_invalid_grade():
    grader = {"type": "multi", "name": "m", "calculate_output": "a + b", "invalid_grade": 0.25, "graders": {
        "a": {"type": "string_check", "name": "a", "input": "{{sample.output_text}}",
              "reference": "{{item.reference_answer}}", "operation": "eq"},
        "b": {"type": "string_check", "name": "b", "input": "{{sample.output_json.sku}}",
              "reference": "{{item.reference_answer}}", "operation": "eq"}}}
    result = run_grader(grader, sample_from_text("JKT-URB-009"), {"reference_answer": "JKT-URB-009"})
    assert result["reward"] == 0.25
    assert result["metadata"]["errors"]["invalid_variable_error"] is True
    assert result["sub_rewards"] == {"a": 1.0, "b": 0.0}
    assert result["metadata"]["error_messages"] == [
        "graders.b: {{sample.output_json.sku}}: sample.output_json is null, cannot take 'sku'"]


def test_output_json_template_works_for_a_json_answer():
    grader = {"type": "string_check", "name": "sku", "input": "{{sample.output_json.sku}}",
              "reference": "{{item.reference_answer}}", "operation": "eq"}
    result = run_grader(grader, sample_from_text('{"sku": "JKT-URB-009"}'), {"reference_answer": "JKT-URB-009"})
    assert result["reward"] == 1.0
    assert result["metadata"]["error_messages"] == []
