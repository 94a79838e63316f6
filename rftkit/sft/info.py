"""`dataset-info`: what to check in a supervised file before paying for a job.

Rows, the episodes they came from and their rewards (from the sidecar `<file>.provenance.jsonl` that
`build-sft` writes), tokens per row and in total (`o200k_base`), tool calls per row, and the tokens a job of
`epochs` epochs trains on (the quantity supervised fine-tuning is billed by).
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

from rftkit.sft.build import provenance_path
from rftkit.sft.tokens import ENCODING, count_row
from rftkit.util.jsonl import read_jsonl


def _spread(values: list[float]) -> dict[str, float] | None:
    if not values:
        return None
    return {"min": min(values), "mean": round(statistics.fmean(values), 4), "max": max(values)}


def dataset_info(path: Path, epochs: int = 3) -> dict[str, Any]:
    """The numbers as a dict; ValueError naming a bad line."""
    if epochs < 1:
        raise ValueError("--epochs must be at least 1")
    rows = read_jsonl(path)
    tokens = [count_row(row) for row in rows]
    calls = [sum(len(m.get("tool_calls") or []) for m in row.get("messages") or [] if isinstance(m, dict))
             for row in rows]
    info: dict[str, Any] = {"file": str(path), "rows": len(rows), "encoding": ENCODING,
                            "tokens_per_row": _spread(tokens), "tokens_total": sum(tokens),
                            "tool_calls_per_row": _spread(calls), "epochs": epochs,
                            "trained_tokens": sum(tokens) * epochs, "provenance": None}
    side = provenance_path(path)
    if side.is_file():
        origins = read_jsonl(side)
        rewards = [float(o["reward"]) for o in origins if isinstance(o.get("reward"), (int, float))]
        info["provenance"] = {
            "file": str(side), "episodes": len({o.get("trace_id") for o in origins}),
            "dataset_rows": len({o.get("row_id") for o in origins}),
            "episode_files": sorted({str(o.get("episodes_file")) for o in origins}),
            "reward": _spread(rewards),
            "reward_sources": {s: sum(1 for o in origins if o.get("reward_source") == s)
                               for s in sorted({str(o.get("reward_source")) for o in origins})},
        }
    return info


def render(info: dict[str, Any]) -> str:
    def spread(s: dict[str, float] | None, fmt: str = "g") -> str:
        return "-" if s is None else f"min {s['min']:{fmt}}, mean {s['mean']:{fmt}}, max {s['max']:{fmt}}"

    lines = [f"{info['file']}: {info['rows']} rows"]
    origin = info["provenance"]
    if origin:
        lines.append(f"  from {origin['episodes']} episode(s) of {origin['dataset_rows']} dataset row(s) in "
                     f"{', '.join(origin['episode_files'])}")
        sources = ", ".join(f"{k} {v}" for k, v in origin["reward_sources"].items())
        lines.append(f"  reward: {spread(origin['reward'], '.3f')} (labels: {sources})")
    else:
        lines.append("  provenance: none (no <file>.provenance.jsonl beside it): episodes and rewards unknown")
    lines.append(f"  tokens per row ({info['encoding']}): {spread(info['tokens_per_row'])}; "
                 f"total {info['tokens_total']:,}")
    lines.append(f"  tool calls per row: {spread(info['tool_calls_per_row'])}")
    lines.append(f"  trained tokens for {info['epochs']} epoch(s): {info['trained_tokens']:,}")
    return "\n".join(lines)


def to_json(info: dict[str, Any]) -> str:
    return json.dumps(info, indent=2)
