"""Check RFT tool-calling datasets before upload: every problem as `file:line: ...`, then a summary.

    report = validate_files(["data/train_tool.jsonl", "data/valid_tool.jsonl"])
    print(report.render())
    assert report.ok

A file whose name contains "valid" (or a `val` word, as in `research_val.jsonl`) is the validation file
unless `roles` says otherwise; the others are training files. Errors are what the service rejects or what
makes a job fail or train on nothing; warnings are what probably hurts training (`strict` makes them fail).
Every check is a rule of `rftkit.data.row_rules` (its id is the issue's code, its severity the issue's severity); the
stand-in applies the same table's service rules to uploaded files.
"""

from __future__ import annotations

import json
import re
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from catalog_tools.config import SHIPPED_CATALOG
from catalog_tools.search import Catalog, load_products
from catalog_tools.tools import TOOLS, tool_definitions
from rftkit.data.reference_calls import reference_call_problems
from rftkit.data.row_rules import (
    MAX_ROWS,
    MIN_ROWS,
    RULES,
    Finding,
    Role,
    decode_lines,
    message_findings,
    parse_row,
    row_count_finding,
    tool_findings,
    tool_problem,
)
from rftkit.data.row_rules import kind as _kind

IMBALANCE_RATIO = 5.0  # largest class over smallest class, per metadata key
CLASS_KEYS = ("task_type", "difficulty")
SHOWN_PER_CODE = 20  # render() lists this many issues of one kind, then counts the rest
_VAL_WORD = re.compile(r"(^|[^a-z])val([^a-z]|$)")


@dataclass(frozen=True)
class Issue:
    path: str
    line: int | None  # None: the whole file
    severity: Literal["error", "warning"]
    code: str
    message: str

    @property
    def location(self) -> str:
        return self.path if self.line is None else f"{self.path}:{self.line}"

    def __str__(self) -> str:
        return f"{self.location}: {self.severity}: {self.message} [{self.code}]"


@dataclass
class FileSummary:
    path: str
    role: Role
    rows: int = 0
    classes: dict[str, Counter[str]] = field(default_factory=lambda: {k: Counter() for k in CLASS_KEYS})
    message_tokens: list[int] = field(default_factory=list)
    tool_tokens: list[int] = field(default_factory=list)


@dataclass
class ValidationReport:
    issues: list[Issue]
    files: list[FileSummary]
    strict: bool = False

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors and not (self.strict and self.warnings)

    def render(self) -> str:
        lines, shown = [], Counter()
        for issue in self.issues:
            shown[issue.code] += 1
            if shown[issue.code] <= SHOWN_PER_CODE:
                lines.append(str(issue))
        lines.extend(f"... and {n - SHOWN_PER_CODE} more [{code}]" for code, n in shown.items() if n > SHOWN_PER_CODE)
        lines.append("Summary")
        for f in self.files:
            lines.append(f"  {f.path} ({'validation' if f.role == 'valid' else 'training'}): {f.rows:,} rows")
            for key, counts in f.classes.items():
                if counts:
                    lines.append(f"    {key}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
            if f.message_tokens:
                m, t = f.message_tokens, f.tool_tokens
                median_m, median_t = int(statistics.median(m)), int(statistics.median(t))
                lines.append(f"    ~tokens per row (chars/4): messages min {min(m)}, median {median_m}, max {max(m)}; "
                             f"tools median {median_t}; file total ~{sum(m) + sum(t):,}")
        verdict = "OK" if self.ok else "FAILED"
        lines.append(f"{len(self.errors)} errors, {len(self.warnings)} warnings"
                     f"{' (strict: warnings fail)' if self.strict and self.warnings else ''}: {verdict}")
        return "\n".join(lines)


def role_for(path: str | Path) -> Role:
    name = Path(path).name.lower()
    return "valid" if "valid" in name or _VAL_WORD.search(name) else "train"


def _load_catalog(catalog: Catalog | Path | str | None) -> Catalog | None:
    if catalog is None or isinstance(catalog, Catalog):
        return catalog
    return Catalog(load_products(Path(catalog)))


class _Checker:
    """Checks of one validation run; keeps what the cross-file checks need."""

    def __init__(self, catalog: Catalog | None, tool_names: set[str], catalog_name: str = "the catalog"):
        self.skus = set(catalog.by_sku) if catalog is not None else None
        self.catalog_name = catalog_name
        self.tool_names = tool_names
        self.app_tools = {tool.name: definition for tool, definition in  # what the app serving this catalog gives
                          zip(TOOLS, tool_definitions(catalog=catalog), strict=True)}
        self.issues: list[Issue] = []
        self.ids: dict[str, str] = {}  # id -> first location
        self.prompts: dict[str, dict[str, str]] = {"train": {}, "valid": {}}  # prompt key -> location
        self.last_tools: tuple[Any, int] = (None, 4)

    def add(self, path: str, line: int | None, severity: Literal["error", "warning"], code: str, msg: str) -> None:
        if severity != RULES[code].severity:  # the table decides; a call site disagreeing is a bug
            raise ValueError(f"rule {code!r} is a {RULES[code].severity}, not a {severity}")
        self.issues.append(Issue(path, line, severity, code, msg))

    def found(self, path: str, finding: Finding, line: int | None = None) -> None:
        at = finding.line if finding.line is not None else line
        self.issues.append(Issue(path, at, finding.severity, finding.rule, finding.message))

    def tools_size(self, tools: Any) -> int:
        if tools != self.last_tools[0]:
            self.last_tools = (tools, len(json.dumps(tools)))
        return self.last_tools[1]

    # --- one file -------------------------------------------------------------------------------------

    def file(self, path: Path, role: Role) -> FileSummary:
        shown = str(path)
        summary = FileSummary(shown, role)
        try:
            data = path.read_bytes()
        except OSError as exc:
            self.add(shown, None, "error", "unreadable", f"cannot read the file: {exc.strerror or exc}")
            return summary
        lines, findings = decode_lines(data)
        for finding in findings:
            self.found(shown, finding)
        if not lines:
            return summary
        for number, text in lines:
            summary.rows += 1
            if text is not None:
                self.row(shown, number, text, role, summary)
        too_many = row_count_finding(summary.rows, role)
        if too_many:
            self.found(shown, too_many)
        if summary.rows < MIN_ROWS:
            self.add(shown, None, "error", "too-few-rows", f"{summary.rows} rows; use at least {MIN_ROWS}")
        self.imbalance(summary)
        return summary

    def imbalance(self, summary: FileSummary) -> None:
        for key, counts in summary.classes.items():
            known = {k: v for k, v in counts.items() if k != "(none)"}
            if len(known) >= 2 and max(known.values()) > IMBALANCE_RATIO * min(known.values()):
                big, small = max(known, key=known.get), min(known, key=known.get)
                self.add(summary.path, None, "warning", "class-imbalance",
                         f"{key} is imbalanced: {big} has {known[big]} rows, {small} only {known[small]}")

    # --- one row --------------------------------------------------------------------------------------

    def row(self, path: str, line: int, text: str, role: Role, summary: FileSummary) -> None:
        row, findings = parse_row(text)
        for finding in findings:
            self.found(path, finding, line)
        if row is None:
            return
        message_problems = message_findings(row)
        for finding in message_problems:
            self.found(path, finding, line)
        messages = row["messages"] if isinstance(row.get("messages"), list) else []
        tool_names = self.tools(path, line, row)
        # Reference SKUs are checked on the catalog's rows: a row whose tools are all another agent's is not one.
        self.reference(path, line, row, catalog_row=not tool_names or any(n in TOOLS for n in tool_names))
        for problem in reference_call_problems(row):  # the replay policy's trajectory, when the row has one
            self.add(path, line, "error", "reference-calls", problem)
        self.identity(path, line, row, role, messages)
        if messages and tool_names:
            said = " ".join(m["content"] for m in messages if isinstance(m, dict) and isinstance(m.get("content"), str))
            if not any(name.lower() in said.lower() for name in tool_names):
                self.add(path, line, "warning", "tool-not-mentioned",
                         f"no message mentions the {'/'.join(tool_names)} tool; say the model must call it first")
        metadata = row.get("metadata") if isinstance(row.get("metadata"), dict) else {}
        for key in CLASS_KEYS:
            value = metadata.get(key)
            summary.classes[key][value if isinstance(value, str) else "(none)"] += 1
        summary.message_tokens.append(len(json.dumps(row.get("messages"))) // 4)
        summary.tool_tokens.append(self.tools_size(row.get("tools")) // 4)

    def tools(self, path: str, line: int, row: dict[str, Any]) -> list[str]:
        """Check `tools` (the service's shape rules, then this project's); return the well-formed functions' names."""
        tools = row.get("tools")
        if "tools" not in row or tools == []:
            what = "missing" if "tools" not in row else "empty"
            self.add(path, line, "error", "tools-missing", f"`tools` is {what}; rows carry the schema of the tools "
                                                           "the job serves")
            return []
        names, findings = tool_findings(row)
        for finding in findings:
            self.found(path, finding, line)
        checked: set[str] = set()
        for n, tool in enumerate(tools if isinstance(tools, list) else [], start=1):
            if tool_problem(tool) is not None or tool["function"]["name"] in checked:
                continue  # reported by the service rules above (malformed, or a second definition)
            name = tool["function"]["name"]
            checked.add(name)
            if name not in self.tool_names:
                self.add(path, line, "error", "unknown-tool", f"tool {name!r} is not served by the job config "
                         f"(it serves: {', '.join(sorted(self.tool_names))}; name each tool the job serves with "
                         "--tool-name)")
            elif name in self.app_tools and tool != self.app_tools[name]:
                app_tool = self.app_tools[name]
                parts = [k for k in ("description", "parameters") if tool["function"].get(k) != app_tool["function"][k]]
                extra = sorted(set(tool) - {"type", "function"}) + sorted(
                    set(tool["function"]) - {"name", "description", "parameters"})
                differs = ", ".join(parts + [f"extra key {k!r}" for k in extra]) or "key order"
                self.add(path, line, "warning", "tools-differ", f"tools[{n}] ({name}) differs from the app's "
                         f"current schema for {self.catalog_name} ({differs}); regenerate it with `python -m rftkit "
                         f"make-dataset` or catalog_tools.tools.tool_definition({name!r}, catalog=...)")
        return names

    def reference(self, path: str, line: int, row: dict[str, Any], catalog_row: bool = True) -> None:
        ref = row.get("reference_answer")
        if not isinstance(ref, str) or not ref.strip():
            what = "missing" if "reference_answer" not in row else f"empty or not a string ({_kind(ref)})"
            self.add(path, line, "error", "reference", f"`reference_answer` is {what}")
        elif self.skus is not None and catalog_row and ref not in self.skus:
            self.add(path, line, "error", "unknown-sku", f"reference_answer {ref!r} is not a SKU in "
                     f"{self.catalog_name} (`validate --catalog PATH` checks against another catalog, "
                     "`--no-catalog` skips the check)")

    def identity(self, path: str, line: int, row: dict[str, Any], role: Role, messages: list[Any]) -> None:
        here = f"{path}:{line}"
        if "id" in row:
            key = row["id"] if isinstance(row["id"], str) else json.dumps(row["id"])
            if key in self.ids:
                self.add(path, line, "error", "duplicate-id", f"id {key!r} was already used at {self.ids[key]}")
            else:
                self.ids[key] = here
        users = [" ".join(m["content"].lower().split()) for m in messages
                 if isinstance(m, dict) and m.get("role") == "user" and isinstance(m.get("content"), str)]
        if not users:
            return
        prompt = "\n".join(users)
        other = "train" if role == "valid" else "valid"
        if prompt in self.prompts[other]:
            self.add(path, line, "error", "train-valid-overlap",
                     f"the same prompt is in training and validation (also at {self.prompts[other][prompt]})")
        self.prompts[role].setdefault(prompt, here)

    def class_coverage(self, summaries: list[FileSummary]) -> None:
        """Warn about task types / difficulties that training has and validation lacks (or the reverse)."""
        totals: dict[str, dict[str, Counter[str]]] = {r: {k: Counter() for k in CLASS_KEYS} for r in MAX_ROWS}
        paths: dict[str, list[str]] = {r: [] for r in MAX_ROWS}
        for s in summaries:
            paths[s.role].append(s.path)
            for key in CLASS_KEYS:
                totals[s.role][key].update(s.classes[key])
        if not paths["train"] or not paths["valid"]:
            return
        for key in CLASS_KEYS:
            train, valid = set(totals["train"][key]) - {"(none)"}, set(totals["valid"][key]) - {"(none)"}
            for missing, where, has in ((train - valid, "valid", "training"), (valid - train, "train", "validation")):
                for value in sorted(missing):
                    self.add(paths[where][0], None, "warning", "class-imbalance",
                             f"no rows with {key} {value!r}, which {has} has")


def _is_supervised(path: Path) -> bool:
    from rftkit.sft.checks import is_supervised_text

    try:
        return is_supervised_text(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return False


def validate_files(paths: Iterable[str | Path], *, catalog: Catalog | Path | str | None = SHIPPED_CATALOG,
                   tool_names: Iterable[str] | None = None, strict: bool = False,
                   roles: Mapping[str | Path, Role] | None = None) -> ValidationReport:
    """Validate dataset files together (so duplicate ids and train/valid overlaps across them are found).

    `catalog`: reference SKUs must be in it, and rows' tools are compared with the schemas for it (default: the
    app's shipped catalog; None skips the SKU check and compares with the argument models' schemas).
    `tool_names`: the tools the job config serves (default: every tool the app registers). `roles`: path ->
    "train" | "valid", overriding the name rule.
    """
    name = f"the catalog {catalog}" if isinstance(catalog, (str, Path)) else "the catalog"
    served = set(TOOLS.names if tool_names is None else tool_names)
    checker = _Checker(_load_catalog(catalog), served, name)
    given = {str(k): v for k, v in (roles or {}).items()}
    summaries, supervised_requests = [], {}
    for p in paths:
        role = given.get(str(p), role_for(p))
        if _is_supervised(Path(p)):  # a chat fine-tuning file: its own rules (rftkit.sft.checks)
            from rftkit.sft.checks import validate_supervised

            issues, summary = validate_supervised(Path(p), role, supervised_requests)
            checker.issues += issues
            summaries.append(summary)
        else:
            summaries.append(checker.file(Path(p), role))
    checker.class_coverage(summaries)
    return ValidationReport(checker.issues, summaries, strict)
