"""One table of row rules: `rftkit validate` and the stand-in's upload check give the same verdict on the same rows
(the same service rules broken, at the same lines), and every rule has one severity."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from rftkit.data.row_rules import RULES, SERVICE_RULES
from rftkit.data.validate import validate_files
from tests import standin_support
from tests.standin_support import upload

standin, client = standin_support.standin, standin_support.client

USER = {"role": "user", "content": "find the urban puffer with search_catalog"}
DEV = {"role": "developer", "content": "Use search_catalog."}
TOOL = {"type": "function", "function": {"name": "search_catalog", "parameters": {"type": "object", "properties": {
    "query": {"type": "string"}}, "required": ["query"]}}}


def line(**row: object) -> str:
    return json.dumps({"messages": [DEV, USER], **row})


CASES: dict[str, bytes] = {
    "good": line().encode(),
    "leading system (a warning)": json.dumps({"messages": [{"role": "system", "content": "s"}, USER]}).encode(),
    "system later": json.dumps({"messages": [DEV, {"role": "system", "content": "s"}, USER]}).encode(),
    "unknown role": json.dumps({"messages": [{"role": "narrator", "content": "x"}, USER]}).encode(),
    "content null": json.dumps({"messages": [DEV, {"role": "user", "content": None}]}).encode(),
    "content parts": json.dumps({"messages": [DEV, {"role": "user", "content": [{"type": "text", "text": "hi"}]}]
                                 }).encode(),
    "assistant tool call then user": json.dumps({"messages": [DEV, USER, {"role": "assistant", "content": None,
        "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "search_catalog", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "[]"}, USER]}).encode(),
    # With a reference answer it is an RFT row; without one, [.., user, assistant] is a valid chat (SFT) example.
    "last not user": json.dumps({"messages": [DEV, USER, {"role": "assistant", "content": "x"}],
                                 "reference_answer": "JKT-URB-009"}).encode(),
    "messages missing": b'{"tools": []}',
    "message not an object": json.dumps({"messages": ["hi", USER]}).encode(),
    "tools malformed": line(tools=[{"type": "function"}]).encode(),
    "tools twice": line(tools=[TOOL, TOOL]).encode(),
    "tool schema invalid": line(tools=[{**TOOL, "function": {**TOOL["function"], "parameters": {
        "type": "object", "properties": {"q": {"type": "strin"}}}}}]).encode(),
    "not JSON": b'{"messages": [}',
    "not an object": b"[1, 2]",
    "blank line inside": line().encode() + b"\n\n" + line().encode(),
    "byte-order mark": b"\xef\xbb\xbf" + line().encode(),
    "not UTF-8": line().encode() + b"\n" + b'{"messages": "\xff"}',
    "UTF-16": line().encode("utf-16"),
    "empty": b"",
}


def validate_verdict(path: Path) -> tuple[bool, set[tuple[str, int | None]]]:
    issues = [i for i in validate_files([path], catalog=None, roles={path: "train"}).issues if i.code in SERVICE_RULES]
    return (not any(i.severity == "error" for i in issues),
            {(i.code, i.line) for i in issues})


def standin_verdict(client, path: Path) -> tuple[bool, set[tuple[str, int | None]]]:
    done = upload(client, path)
    # "Invalid file format: 2 invalid line(s): line 3: why [rule-id]; line 5: why [rule-id]." (why may hold "; ")
    found = {(rule, int(number)) for number, rule in re.findall(r"line (\d+): .*?\[([a-z-]+)\]",
                                                                 done.status_details or "")}
    return done.status == "processed", found


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_validate_and_the_standin_give_the_same_verdict(client, tmp_path, case):
    path = tmp_path / "rows.jsonl"
    path.write_bytes(CASES[case] + (b"\n" if CASES[case] else b""))
    accepted, findings = validate_verdict(path)
    if case == "empty":  # the stand-in says "no rows" without a rule id; validate names the rule
        assert findings == {("empty-file", None)} and not accepted
        assert standin_verdict(client, path)[0] is False
        return
    assert standin_verdict(client, path) == (accepted, findings)
    assert accepted is (case in ("good", "leading system (a warning)", "content parts",
                                 "assistant tool call then user"))


def test_every_rule_has_one_severity_and_a_scope():
    assert all(rule.severity in ("error", "warning") and rule.scope in ("service", "dataset")
               for rule in RULES.values())
    assert RULES["system-role"].severity == "warning" and RULES["system-role"].scope == "service"
    assert RULES["bad-role"].severity == "error"
