"""The checks the service runs on an uploaded fine-tune JSONL file: the service rules of `rftkit.data.row_rules`, the
same table `rftkit validate` uses, so both give one verdict on the same rows.

A file with any service-rule error ends `error` with `status_details` naming the first bad lines; a file with only
warnings (a leading `system` message) is `processed`, its `status_details` listing them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rftkit.data.row_rules import Finding, decode_lines, parse_row, service_findings

MAX_REPORTED = 5


@dataclass
class FileVerdict:
    rows: list[dict[str, Any]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)

    def status_details(self) -> str | None:
        """Why the file failed; for a processed file, its warnings (None when there are none)."""
        if not self.errors and not self.rows:
            return "The file has no rows."
        if self.errors:
            return f"Invalid file format: {len(self.errors)} invalid line(s): {_listed(self.errors)}."
        if self.warnings:
            return f"Processed with {len(self.warnings)} warning(s): {_listed(self.warnings)}."
        return None


def _supervised_verdict(data: bytes) -> FileVerdict | None:
    """The verdict on a supervised (chat) file, or None when the file is not one."""
    from rftkit.sft.checks import is_supervised_text
    from rftkit.sft.standin import check_upload

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None  # the row rules name the bad line
    if not is_supervised_text(text):
        return None
    rows, findings = check_upload(text)
    return FileVerdict(rows=[] if findings else rows, findings=findings)


def _listed(findings: list[Finding]) -> str:
    shown = "; ".join(f"line {f.line}: {f.message} [{f.rule}]" if f.line is not None else f"{f.message} [{f.rule}]"
                      for f in findings[:MAX_REPORTED])
    return shown + (f" (and {len(findings) - MAX_REPORTED} more)" if len(findings) > MAX_REPORTED else "")


def check_jsonl(data: bytes) -> FileVerdict:
    """Every service-rule finding of the file, and its rows (none when any rule is broken as an error)."""
    supervised = _supervised_verdict(data)
    if supervised is not None:  # a chat fine-tuning file (assistant turns to learn): its own rules
        return supervised
    verdict = FileVerdict()
    lines, verdict.findings = decode_lines(data)
    rows = []
    for number, text in lines:
        if text is None:
            continue
        row, findings = parse_row(text)
        if row is not None:
            findings = service_findings(row)
            rows.append(row)
        verdict.findings += [finding.at(number) for finding in findings]
    verdict.rows = [] if verdict.errors else rows
    return verdict
