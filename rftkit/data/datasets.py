"""The seeded generator of `data/train_tool.jsonl` and `data/valid_tool.jsonl`.

Rows are drawn per (task_type, difficulty) cell, validation first, so both files are stratified alike.
A row is kept only if its oracle singles out one product (see `oracle.py`), and nothing leaks between the
files: no prompt, no constraint and no reference SKU appears in both. The same catalog and seed always
give the same bytes.
"""

from __future__ import annotations

import copy
import json
import random
from collections import Counter
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from catalog_tools.config import SHIPPED_CATALOG
from catalog_tools.search import Catalog
from catalog_tools.tools import tool_definitions
from rftkit import DATA_DIR
from rftkit.data import oracle as orc
from rftkit.data.phrasing import policy_for
from rftkit.data.task_types import TASKS, Candidate, Draw
from rftkit.util.progress import progress

DEFAULT_SEED = 3
TRAIN_PER_CELL = 18
VALID_PER_CELL = 4
MAX_ROWS_PER_SKU = 3  # spread the answers over the catalog
SHIPPED_SIZE = 600  # products in the shipped catalog, for which the per-cell counts above are made
MAX_DRAWS_PER_ROW = 400
# A cell gives up after this many draws in a row without a row taken: its catalog cannot fill it (e.g. no sizes to
# ask about). The shipped catalog's longest run before a row is taken is under 100, so its files do not change.
MAX_DRAWS_WITHOUT_A_ROW = 300
FILE_NAMES = {"train": "train_tool.jsonl", "valid": "valid_tool.jsonl"}

# The public sample's own request, kept verbatim in the training file.
SEED_REQUEST = "Return the SKU of the cheapest warm jacket under $200."
SEED_ANSWER = "JKT-URB-009"
SEED_CANDIDATE = Candidate(
    "price_extreme", "medium", "cheapest_under", SEED_REQUEST,
    orc.search_spec("", "price_asc", category="jackets", max_price=200, min_warmth="warm"), SEED_ANSWER)


class DatasetError(RuntimeError):
    """The catalog cannot supply the rows asked for (too small, or the public sample's request no longer holds)."""


def _key(text: str) -> str:
    return " ".join(text.lower().split())


class _Picker:
    """Accepts candidates that keep the dataset free of repeats and of train/valid leaks."""

    def __init__(self, max_per_sku: int = MAX_ROWS_PER_SKU) -> None:
        self.max_per_sku = max_per_sku
        self.oracles: set[str] = set()
        self.prompts: set[str] = set()
        self.per_sku: Counter[str] = Counter()
        self.skus: dict[str, set[str]] = {"train": set(), "valid": set()}

    def accept(self, candidate: Candidate, split: str) -> bool:
        oracle_key = json.dumps(candidate.oracle, sort_keys=True)
        other = "train" if split == "valid" else "valid"
        if (oracle_key in self.oracles or _key(candidate.text) in self.prompts
                or self.per_sku[candidate.answer] >= self.max_per_sku or candidate.answer in self.skus[other]):
            return False
        self.oracles.add(oracle_key)
        self.prompts.add(_key(candidate.text))
        self.per_sku[candidate.answer] += 1
        self.skus[split].add(candidate.answer)
        return True


def _row(candidate: Candidate, row_id: str, tools: list[dict[str, Any]], catalog: Catalog, policy: str
         ) -> dict[str, Any]:
    return {
        "messages": [{"role": "developer", "content": policy}, {"role": "user", "content": candidate.text}],
        "tools": copy.deepcopy(tools),
        "reference_answer": candidate.answer,
        "id": row_id,
        "metadata": {"task_type": candidate.task_type, "difficulty": candidate.difficulty,
                     "variant": candidate.variant, "oracle": candidate.oracle,
                     "reference_calls": orc.reference_calls(candidate.oracle, catalog)},
    }


def _fill_cell(generate: Callable[[], Candidate | None], need: int, split: str, picker: _Picker) -> list[Candidate]:
    """Up to `need` accepted candidates of one cell, its variants kept within one row of each other
    (some variants pass the checks far more often than others)."""
    rows: list[Candidate] = []
    variants: Counter[str] = Counter()
    misses = 0
    for _ in range(need * MAX_DRAWS_PER_ROW):
        if len(rows) == need or misses == MAX_DRAWS_WITHOUT_A_ROW:
            break
        misses += 1
        candidate = generate()
        if candidate is None:
            continue
        variants[candidate.variant] += 0  # seen, even if not taken
        if variants[candidate.variant] > min(variants.values()) or not picker.accept(candidate, split):
            continue
        variants[candidate.variant] += 1
        rows.append(candidate)
        misses = 0
    return rows


def _sizes(catalog: Catalog, cells: int) -> tuple[int, int, int]:
    """Rows per (task type, difficulty) cell, train and validation, and rows per SKU: the shipped counts from 600
    products up; a smaller catalog gets fewer rows per cell (at least 4 and 2, enough for every later step of the
    pipeline to have rows) and lets each SKU answer more of them."""
    scale = min(1.0, len(catalog) / SHIPPED_SIZE)
    train, valid = max(4, round(TRAIN_PER_CELL * scale)), max(2, round(VALID_PER_CELL * scale))
    return train, valid, max(MAX_ROWS_PER_SKU, -(-cells * (train + valid) // len(catalog)))


def build_rows(catalog: Catalog, seed: int = DEFAULT_SEED,
               show_progress: bool = False) -> dict[str, list[dict[str, Any]]]:
    """Both splits' rows, in file order: {"train": [...], "valid": [...]}; a bar per cell with `show_progress`.

    Any catalog of the same format works: the public sample's request opens the training file when the catalog
    has its product; a catalog smaller than the shipped one gets fewer rows per cell, and a cell its products
    cannot fill (e.g. no sizes to ask about) is left short rather than failing."""
    rng = random.Random(seed)
    draw = Draw(catalog, rng)
    shipped_like = SEED_ANSWER in catalog.by_sku
    if shipped_like and orc.resolve(SEED_CANDIDATE.oracle, catalog)["sku"] != SEED_ANSWER:
        raise DatasetError(f"the public sample's request no longer resolves to {SEED_ANSWER} in this catalog")
    train_per_cell, valid_per_cell, max_per_sku = _sizes(catalog, sum(len(d) for d, _ in TASKS.values()))
    per_cell = {"train": train_per_cell, "valid": valid_per_cell}
    picker = _Picker(max_per_sku)
    if shipped_like:
        picker.accept(SEED_CANDIDATE, "train")
    chosen: dict[str, list[Candidate]] = {"train": [], "valid": []}
    cells = 2 * sum(len(difficulties) for difficulties, _ in TASKS.values())
    # Validation first: its few rows per cell get first pick, training fills up around them.
    with progress(cells, "make-dataset", show_progress) as bar:
        for split in ("valid", "train"):
            for task_type, (difficulties, generate) in TASKS.items():
                for difficulty in difficulties:
                    cell = (task_type, difficulty)
                    seeded = shipped_like and split == "train" and cell == (SEED_CANDIDATE.task_type,
                                                                            SEED_CANDIDATE.difficulty)
                    need = per_cell[split] - seeded
                    rows = _fill_cell(partial(generate, draw, difficulty), need, split, picker)
                    if len(rows) < need and shipped_like:
                        raise DatasetError(f"only {len(rows)} of {need} {split} rows for {task_type}/{difficulty}")
                    chosen[split].extend(rows)
                    bar.advance()
    rows: dict[str, list[dict[str, Any]]] = {}
    # Every row offers every tool the app serves (the model chooses), with the schema the app serving this catalog
    # gives: built once.
    tools = tool_definitions(catalog=catalog)
    policy = policy_for(None if shipped_like else catalog.products[0].sku)
    for split, candidates in chosen.items():
        rng.shuffle(candidates)  # interleave task types; ids follow file order
        if split == "train" and shipped_like:
            candidates.insert(0, SEED_CANDIDATE)
        rows[split] = [_row(c, f"{split}-{i:04d}", tools, catalog, policy) for i, c in enumerate(candidates, start=1)]
    return rows


def render_jsonl(rows: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n" for row in rows)


def render_files(catalog_path: Path = SHIPPED_CATALOG, seed: int = DEFAULT_SEED,
                 show_progress: bool = False) -> dict[str, str]:
    """File name -> exact file text."""
    rows = build_rows(Catalog.from_path(catalog_path), seed, show_progress)
    return {FILE_NAMES[split]: render_jsonl(split_rows) for split, split_rows in rows.items()}


def write_datasets(out_dir: Path = DATA_DIR, catalog_path: Path = SHIPPED_CATALOG,
                   seed: int = DEFAULT_SEED, show_progress: bool = False) -> dict[Path, int]:
    """Write both files (UTF-8, `\\n` line endings); return path -> row count."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[Path, int] = {}
    for name, text in render_files(catalog_path, seed, show_progress).items():
        path = out_dir / name
        path.write_bytes(text.encode("utf-8"))
        written[path] = text.count("\n")
    return written


def stale_files(out_dir: Path = DATA_DIR, catalog_path: Path = SHIPPED_CATALOG,
                seed: int = DEFAULT_SEED, show_progress: bool = False) -> list[Path]:
    """Files in `out_dir` that differ from what the generator writes now (missing ones included)."""
    stale = []
    for name, text in render_files(catalog_path, seed, show_progress).items():
        path = out_dir / name
        if not path.exists() or path.read_bytes() != text.encode("utf-8"):
            stale.append(path)
    return stale
