"""The dataset validator: one test per error and warning, each checking the reported file:line."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from catalog_tools.config import SHIPPED_CATALOG
from catalog_tools.tools import tool_definition, tool_definitions
from rftkit import DATA_DIR, REPO_ROOT
from rftkit.__main__ import main
from rftkit.data.task_types import TASKS
from rftkit.data.validate import MAX_ROWS, SHOWN_PER_CODE, ValidationReport, role_for, validate_files

MISSING = object()
TOOL = tool_definition()  # built once: generating it from the model takes milliseconds
DEVELOPER = {"role": "developer", "content": "Call search_catalog first, use only its results, answer with the SKU."}


def row(i: int, split: str = "train", **changes: Any) -> dict[str, Any]:
    """A clean row; `changes` replace fields (MISSING drops one)."""
    base: dict[str, Any] = {
        "messages": [DEVELOPER, {"role": "user", "content": f"{split} request {i}: the cheapest warm jacket?"}],
        "tools": [copy.deepcopy(TOOL)],
        "reference_answer": "JKT-URB-009",
        "id": f"{split}-{i}",
        "metadata": {"task_type": "price_extreme", "difficulty": "easy"},
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not MISSING}


def write(path: Path, lines: list[Any]) -> Path:
    """Rows (dicts) as JSON lines; str items are written as they are."""
    path.write_text("".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines), encoding="utf-8")
    return path


@pytest.fixture()
def files(tmp_path: Path) -> tuple[Path, Path]:
    """A clean training file (12 rows) and validation file (10 rows)."""
    train = write(tmp_path / "train.jsonl", [row(i) for i in range(1, 13)])
    valid = write(tmp_path / "valid.jsonl", [row(i, "valid") for i in range(1, 11)])
    return train, valid


def with_line(path: Path, line: int, content: Any) -> Path:
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[line - 1] = content if isinstance(content, str) else json.dumps(content)
    return write(path, lines)


def codes_at(report: ValidationReport, severity: str) -> list[tuple[str, str]]:
    return [(i.code, i.location) for i in report.issues if i.severity == severity]


def test_clean_files_pass(files: tuple[Path, Path]):
    report = validate_files(files)
    assert report.issues == [] and report.ok
    assert [(f.role, f.rows) for f in report.files] == [("train", 12), ("valid", 10)]


def tool_with(**function: Any) -> list[dict[str, Any]]:
    tool = tool_definition()
    tool["function"].update(function)
    return [tool]


BAD_ROWS = {
    "not JSON": ("invalid-json", '{"messages": [}'),
    "blank line": ("invalid-json", ""),
    "not an object": ("not-object", "[1, 2]"),
    "messages missing": ("messages", row(3, messages=MISSING)),
    "messages not a list": ("messages", row(3, messages="hello")),
    "messages empty": ("messages", row(3, messages=[])),
    "message not an object": ("messages", row(3, messages=["hi", {"role": "user", "content": "x search_catalog"}])),
    "unknown role": ("bad-role", row(3, messages=[DEVELOPER, {"role": "narrator", "content": "x"},
                                                  {"role": "user", "content": "y"}])),
    "system later": ("bad-role", row(3, messages=[DEVELOPER, {"role": "system", "content": "x"},
                                                  {"role": "user", "content": "y"}])),
    "last not user": ("last-not-user", row(3, messages=[DEVELOPER, {"role": "user", "content": "x"},
                                                        {"role": "assistant", "content": "JKT-URB-009"}])),
    "content a list": ("content", row(3, messages=[DEVELOPER, {"role": "user", "content": [{"type": "text"}]}])),
    "content null": ("content", row(3, messages=[DEVELOPER, {"role": "user", "content": None}])),
    "tools missing": ("tools-missing", row(3, tools=MISSING)),
    "tools not a list": ("tools", row(3, tools={"search_catalog": {}})),
    "tools empty": ("tools-missing", row(3, tools=[])),
    "tool type": ("tools", row(3, tools=[{**tool_definition(), "type": "tool"}])),
    "tool without function": ("tools", row(3, tools=[{"type": "function"}])),
    "tool name": ("tools", row(3, tools=tool_with(name="search catalog"))),
    "parameters not an object schema": ("tools", row(3, tools=tool_with(parameters={"type": "array"}))),
    "parameters not JSON Schema": ("tools", row(3, tools=tool_with(
        parameters={"type": "object", "properties": {"query": {"type": "strin"}}}))),
    "required undefined": ("tools", row(3, tools=tool_with(
        parameters={"type": "object", "properties": {}, "required": ["query"]}))),
    "tool twice": ("tools", row(3, tools=[tool_definition(), tool_definition()])),
    "tool not served": ("unknown-tool", row(3, tools=tool_with(name="lookup_order"))),
    "reference missing": ("reference", row(3, reference_answer=MISSING)),
    "reference empty": ("reference", row(3, reference_answer=" ")),
    "reference not a string": ("reference", row(3, reference_answer=42)),
    "reference not in catalog": ("unknown-sku", row(3, reference_answer="JKT-NOPE-000")),
}


@pytest.mark.parametrize("case", BAD_ROWS, ids=list(BAD_ROWS))
def test_each_row_error_is_reported_at_its_line(files: tuple[Path, Path], case: str):
    code, content = BAD_ROWS[case]
    train = with_line(files[0], 3, content)
    report = validate_files([train, files[1]])
    assert codes_at(report, "error") == [(code, f"{train}:3")]
    assert not report.ok


def test_every_problem_is_reported_not_just_the_first(files: tuple[Path, Path]):
    train = with_line(files[0], 2, "nope")
    with_line(train, 5, row(5, reference_answer=""))
    with_line(train, 9, row(9, messages=[DEVELOPER]))
    report = validate_files([train, files[1]])
    assert codes_at(report, "error") == [("invalid-json", f"{train}:2"), ("reference", f"{train}:5"),
                                        ("last-not-user", f"{train}:9")]
    rendered = report.render().splitlines()
    assert rendered[0].startswith(f"{train}:2: error: not valid JSON")
    assert rendered[-1] == "3 errors, 0 warnings: FAILED"


def test_duplicate_id_in_one_file(files: tuple[Path, Path]):
    train = with_line(files[0], 5, row(5, id="train-2"))
    issues = validate_files([train, files[1]]).errors
    assert [(i.code, i.location) for i in issues] == [("duplicate-id", f"{train}:5")]
    assert f"{train}:2" in issues[0].message


def test_duplicate_id_across_files(files: tuple[Path, Path]):
    train, valid = files
    with_line(valid, 1, row(1, "valid", id="train-1"))
    issues = validate_files([train, valid]).errors
    assert [(i.code, i.location) for i in issues] == [("duplicate-id", f"{valid}:1")]
    assert f"{train}:1" in issues[0].message


def test_same_prompt_in_training_and_validation(files: tuple[Path, Path]):
    train, valid = files
    shouted = {"role": "user", "content": "  TRAIN request 7:   the cheapest warm jacket?"}
    with_line(valid, 4, row(4, "valid", messages=[DEVELOPER, shouted]))
    issues = validate_files([train, valid]).errors
    assert [(i.code, i.location) for i in issues] == [("train-valid-overlap", f"{valid}:4")]
    assert f"{train}:7" in issues[0].message


def test_validation_file_over_the_service_limit(tmp_path: Path, files: tuple[Path, Path]):
    valid = write(tmp_path / "valid_big.jsonl", [row(i, "valid") for i in range(1, MAX_ROWS["valid"] + 2)])
    report = validate_files([files[0], valid])
    assert codes_at(report, "error") == [("too-many-rows", str(valid))]
    assert "1,001 rows" in report.errors[0].message and "1,000" in report.errors[0].message


def test_training_file_over_the_service_limit(files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setitem(MAX_ROWS, "train", 11)  # 50,000 real rows would take a while to write
    report = validate_files(files)
    assert codes_at(report, "error") == [("too-many-rows", str(files[0]))]


def test_file_under_ten_rows(tmp_path: Path, files: tuple[Path, Path]):
    train = write(tmp_path / "train_small.jsonl", [row(i) for i in range(1, 10)])
    assert codes_at(validate_files([train, files[1]]), "error") == [("too-few-rows", str(train))]


@pytest.mark.parametrize("content", [b"", b"\n \n"], ids=["zero bytes", "whitespace"])
def test_empty_file(tmp_path: Path, files: tuple[Path, Path], content: bytes):
    train = tmp_path / "train_empty.jsonl"
    train.write_bytes(content)
    assert codes_at(validate_files([train, files[1]]), "error") == [("empty-file", str(train))]


def test_missing_file_is_an_error(tmp_path: Path, files: tuple[Path, Path]):
    missing = tmp_path / "nope_train.jsonl"
    assert codes_at(validate_files([missing, files[1]]), "error") == [("unreadable", str(missing))]


def test_bytes_that_are_not_utf8(files: tuple[Path, Path]):
    train = files[0]
    lines = train.read_bytes().split(b"\n")
    lines[3] = lines[3].replace(b"cheapest", b"ch\xe9apest")  # Latin-1, line 4
    train.write_bytes(b"\n".join(lines))
    report = validate_files([train, files[1]])
    assert codes_at(report, "error") == [("encoding", f"{train}:4")]
    assert "0xe9" in report.errors[0].message


def test_byte_order_mark(files: tuple[Path, Path]):
    train = files[0]
    train.write_bytes(b"\xef\xbb\xbf" + train.read_bytes())
    assert codes_at(validate_files([train, files[1]]), "error") == [("encoding", f"{train}:1")]


def test_utf16_file(files: tuple[Path, Path]):
    train = files[0]
    train.write_bytes(train.read_text(encoding="utf-8").encode("utf-16"))
    report = validate_files([train, files[1]])
    assert codes_at(report, "error") == [("encoding", f"{train}:1")]
    assert "UTF-16" in report.errors[0].message


# --- warnings -------------------------------------------------------------------------------------------


def test_leading_system_message_is_a_warning(files: tuple[Path, Path]):
    system = {"role": "system", "content": DEVELOPER["content"]}
    train = with_line(files[0], 3, row(3, messages=[system, {"role": "user", "content": "x"}]))
    report = validate_files([train, files[1]])
    assert codes_at(report, "warning") == [("system-role", f"{train}:3")] and not report.errors
    assert report.ok
    assert not validate_files([train, files[1]], strict=True).ok


def test_tool_schema_that_differs_from_the_apps(files: tuple[Path, Path]):
    train = with_line(files[0], 6, row(6, tools=tool_with(description="Search.")))
    report = validate_files([train, files[1]])
    assert codes_at(report, "warning") == [("tools-differ", f"{train}:6")] and report.ok
    assert "description" in report.warnings[0].message


def test_rows_with_every_app_tool_are_served_by_default(files: tuple[Path, Path]):
    """Both registered tools are served unless the job config says otherwise; each is compared with its own
    registered definition."""
    both = tool_definitions()
    train = with_line(files[0], 2, row(2, tools=both))
    assert validate_files([train, files[1]], strict=True).issues == []
    only_search = validate_files([train, files[1]], tool_names=["search_catalog"])
    assert codes_at(only_search, "error") == [("unknown-tool", f"{train}:2")]
    assert "'get_product' is not served" in only_search.errors[0].message
    changed = copy.deepcopy(both)
    changed[1]["function"]["parameters"]["properties"]["sku"]["maxLength"] = 10
    train = with_line(train, 5, row(5, tools=changed))
    report = validate_files([train, files[1]])
    assert codes_at(report, "warning") == [("tools-differ", f"{train}:5")] and report.ok
    assert "tools[2] (get_product)" in report.warnings[0].message and "parameters" in report.warnings[0].message
    assert "tool_definition('get_product'" in report.warnings[0].message


def test_request_that_never_mentions_the_tool(files: tuple[Path, Path]):
    silent = [{"role": "developer", "content": "Answer with the SKU."}, {"role": "user", "content": "cheap jacket?"}]
    train = with_line(files[0], 8, row(8, messages=silent))
    report = validate_files([train, files[1]])
    assert codes_at(report, "warning") == [("tool-not-mentioned", f"{train}:8")] and report.ok


def test_class_imbalance_within_a_file(tmp_path: Path, files: tuple[Path, Path]):
    rare = {"task_type": "comparison", "difficulty": "easy"}
    train = write(tmp_path / "train.jsonl", [row(i) for i in range(1, 12)] + [row(12, metadata=rare)])
    valid = write(tmp_path / "valid.jsonl", [row(i, "valid", **({"metadata": rare} if i > 5 else {}))
                                             for i in range(1, 11)])
    report = validate_files([train, valid])
    assert codes_at(report, "warning") == [("class-imbalance", str(train))] and report.ok
    assert "price_extreme has 11 rows, comparison only 1" in report.warnings[0].message


def test_task_type_missing_from_validation(tmp_path: Path, files: tuple[Path, Path]):
    other = {"task_type": "comparison", "difficulty": "easy"}
    train = write(tmp_path / "train.jsonl", [row(i, **({"metadata": other} if i % 2 else {})) for i in range(1, 13)])
    report = validate_files([train, files[1]])
    assert codes_at(report, "warning") == [("class-imbalance", str(files[1]))]
    assert "no rows with task_type 'comparison'" in report.warnings[0].message


# --- the shipped data, roles, rendering, CLI ----------------------------------------------------------------


def test_shipped_datasets_validate_clean():
    report = validate_files([DATA_DIR / "train_tool.jsonl", DATA_DIR / "valid_tool.jsonl"], strict=True)
    assert report.issues == [] and report.ok
    assert [f.role for f in report.files] == ["train", "valid"]
    assert all(f.rows >= 50 and len(f.classes["task_type"]) == len(TASKS) for f in report.files)


@pytest.mark.parametrize(("name", "role"), [("valid_tool.jsonl", "valid"), ("research_val.jsonl", "valid"),
                                            ("Validation.JSONL", "valid"), ("train_tool.jsonl", "train"),
                                            ("interval_data.jsonl", "train")])
def test_role_from_file_name(name: str, role: str):
    assert role_for(Path("some/dir") / name) == role


def test_roles_can_be_given_explicitly(tmp_path: Path):
    a = write(tmp_path / "a.jsonl", [row(i) for i in range(1, 11)])
    b = write(tmp_path / "b.jsonl", [row(i, id=f"b-{i}") for i in range(1, 11)])  # same prompts as a
    report = validate_files([a, b], roles={str(b): "valid"})
    assert {i.code for i in report.errors} == {"train-valid-overlap"} and len(report.errors) == 10


def test_render_shows_a_bounded_number_of_issues_per_kind(tmp_path: Path, files: tuple[Path, Path]):
    train = write(tmp_path / "train.jsonl", [row(i, reference_answer="NOPE") for i in range(1, SHOWN_PER_CODE + 6)])
    text = validate_files([train, files[1]]).render()
    assert text.count("[unknown-sku]") == SHOWN_PER_CODE + 1  # the listed ones, then the count of the rest
    assert "... and 5 more [unknown-sku]" in text


def test_catalog_can_be_skipped_or_replaced(tmp_path: Path, files: tuple[Path, Path]):
    train = with_line(files[0], 3, row(3, reference_answer="ZZZ-001"))
    assert validate_files([train, files[1]], catalog=None).ok
    other = tmp_path / "products.jsonl"
    other.write_text(json.dumps({"sku": "ZZZ-001", "name": "Z", "category": "hats", "price": 1, "rating": 4,
                                 "in_stock": True}) + "\n", encoding="utf-8")
    report = validate_files([train, files[1]], catalog=other)
    assert {(i.code, i.location) for i in report.errors} == {("unknown-sku", f"{files[0]}:{n}")
                                                             for n in range(1, 13) if n != 3} | {
        ("unknown-sku", f"{files[1]}:{n}") for n in range(1, 11)}


def test_cli_exit_codes(files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]):
    train, valid = files
    assert main(["validate", str(train), str(valid)]) == 0
    with_line(train, 3, row(3, messages=[{"role": "system", "content": "x"}, {"role": "user", "content": "y"}]))
    assert main(["validate", str(train), str(valid)]) == 0  # warnings only
    assert main(["validate", str(train), str(valid), "--strict"]) == 1
    with_line(train, 4, row(4, tools=tool_with(name="lookup_order")))
    assert main(["validate", str(train), str(valid)]) == 1
    assert main(["validate", str(train), str(valid), "--tool-name", "search_catalog", "--tool-name",
                 "lookup_order"]) == 0
    with_line(train, 5, row(5, reference_answer="ZZZ-001"))
    assert main(["validate", str(train), str(valid), "--tool-name", "search_catalog", "--tool-name",
                 "lookup_order", "--no-catalog"]) == 0
    out = capsys.readouterr().out
    assert f"{train}:3: warning: message 1 has role 'system'" in out
    assert f"{train}:4: error: tool 'lookup_order' is not served" in out
    assert main(["validate"]) == 2
    assert main(["validate", str(train), "--catalog", str(train)]) == 2  # not a catalog


def test_cli_runs_as_a_module(files: tuple[Path, Path]):
    train = with_line(files[0], 3, "{oops")
    done = subprocess.run([sys.executable, "-m", "rftkit", "validate", "--train", str(train), "--valid",
                           str(files[1])], capture_output=True, text=True, cwd=REPO_ROOT, timeout=120)
    assert done.returncode == 1, done.stderr
    assert f"{train}:3: error: not valid JSON" in done.stdout
    assert done.stdout.rstrip().endswith("1 errors, 0 warnings: FAILED")


def test_unknown_sku_names_the_catalog_and_how_to_use_another(tmp_path: Path, files: tuple[Path, Path],
                                                              monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]):
    train = with_line(files[0], 3, row(3, reference_answer="ZZZ-001"))
    monkeypatch.delenv("CATALOG_PATH", raising=False)
    assert main(["validate", str(train), str(files[1])]) == 1
    out = capsys.readouterr().out
    assert f"not a SKU in the catalog {SHIPPED_CATALOG} (`validate --catalog PATH`" in out
    other = tmp_path / "products.jsonl"
    other.write_text(json.dumps({"sku": "ZZZ-001", "name": "Z", "category": "hats", "price": 1, "rating": 4,
                                 "in_stock": True}) + "\n", encoding="utf-8")
    monkeypatch.setenv("CATALOG_PATH", str(other))  # the app's setting is the default when set
    assert main(["validate", str(train), str(files[1])]) == 1
    assert f"'JKT-URB-009' is not a SKU in the catalog {other} " in capsys.readouterr().out
