"""2. Search at scale: catalogs of 1k, 10k and 100k generated products. Index build time and memory, per-query
p50/p99 over a query mix with filters and sorts — against the plain Python linear scan on the same products and
queries, and against the SQLite FTS5 engine the index replaced. Every memory figure comes from its own fresh
interpreter (RSS growth while building: freed memory is reused, so two structures built in one process would blur)."""

from __future__ import annotations

import gc
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from .profiles import Profile
from .stats import percentiles

SEED = 20251122


def _rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _timed(fn: Any, *args: Any) -> tuple[float, Any]:
    start = time.perf_counter_ns()
    result = fn(*args)
    return (time.perf_counter_ns() - start) / 1e6, result


def _setup(raw: list[dict[str, Any]], queries: int) -> tuple[list[Any], list[tuple]]:
    from catalog_tools.search import Product
    from catalog_tools.tools import SearchArguments

    from .workload import argument_mix

    products = [Product.model_validate(p) for p in raw]
    mix = [SearchArguments.model_validate(a) for a in argument_mix(raw, queries, seed=len(raw))]
    return products, [(a.query, a.filters(), a.sort, a.top_k) for a in mix]


def _built(engine: Any, products: list[Any]) -> tuple[float, int, Any]:
    """(build ms, RSS growth KiB, engine)."""
    gc.collect()
    before = _rss_kib()
    build_ms, built = _timed(engine, products)
    gc.collect()
    return build_ms, _rss_kib() - before, built


def _answer(result: Any) -> tuple:
    return [p.sku for p in result.items], result.total, result.match


def index_and_scan(raw: list[dict[str, Any]], queries: int, scan_queries: int) -> dict[str, Any]:
    """Child process: the index (build, memory, queries), then the scan's query times on the first queries."""
    from catalog_tools.search import Catalog

    from .linear_scan import LinearScan

    products, calls = _setup(raw, queries)
    build_ms, rss_kib, catalog = _built(Catalog, products)
    for call in calls:  # one unmeasured pass: first-use costs (code paths, allocator) are not per-query costs
        catalog.search(*call)
    index_ms = [_timed(catalog.search, *call)[0] for call in calls]
    scan = LinearScan(products)
    subset = calls[:scan_queries]
    scan_ms = [_timed(scan.search, *call)[0] for call in subset]
    # Filter-only queries have no ranking to differ on: both must count the same matches.
    agree = all(catalog.search(*c).total == scan.search(*c)[1] for c in subset if not c[0].strip())
    return {"build_s": round(build_ms / 1000, 3), "rss_kib": rss_kib, "query_ms": percentiles(index_ms),
            "query_ms_scan_subset": percentiles(index_ms[:scan_queries]), "scan_query_ms": percentiles(scan_ms),
            "queries": len(calls), "scan_queries": len(subset), "filter_only_totals_agree": agree}


def scan_memory(raw: list[dict[str, Any]]) -> dict[str, Any]:
    """Child process: the linear scan's build time and memory."""
    from .linear_scan import LinearScan

    products, _ = _setup(raw, 0)
    build_ms, rss_kib, _ = _built(LinearScan, products)
    return {"build_s": round(build_ms / 1000, 3), "rss_kib": rss_kib}


def previous_engine(raw: list[dict[str, Any]], queries: int) -> dict[str, Any]:
    """Child process: the SQLite FTS5 engine the index replaced, and whether both answer the same."""
    from catalog_tools.search import Catalog

    from .fts5_reference import Fts5Catalog

    products, calls = _setup(raw, queries)
    build_ms, rss_kib, old = _built(Fts5Catalog, products)
    for call in calls:
        old.search(*call)
    query_ms = [_timed(old.search, *call)[0] for call in calls]
    new = Catalog(products)
    same = sum(_answer(old.search(*c)) == _answer(new.search(*c)) for c in calls)
    return {"build_s": round(build_ms / 1000, 3), "rss_kib": rss_kib, "query_ms": percentiles(query_ms),
            "same_answers": same, "queries": len(calls)}


def _speedup(slow: dict[str, float], fast: dict[str, float], key: str) -> float | None:
    return round(slow[key] / fast[key], 1) if fast[key] else None


def run(profile: Profile) -> dict[str, Any]:
    from rftkit.data.catalog_gen import generate_catalog

    results = []
    context = multiprocessing.get_context("spawn")
    for size in profile.catalog_sizes:
        raw = generate_catalog(size, SEED)
        with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
            index = pool.submit(index_and_scan, raw, profile.queries, profile.scan_queries).result()
        with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
            scan = pool.submit(scan_memory, raw).result()
        with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
            previous = pool.submit(previous_engine, raw, profile.queries).result()
        same = index["query_ms_scan_subset"]
        results.append({
            "products": size, "build_s": index["build_s"], "index_rss_kib": index["rss_kib"],
            "index_query_ms": index["query_ms"], "queries": index["queries"],
            "scan": {"build_s": scan["build_s"], "rss_kib": scan["rss_kib"], "query_ms": index["scan_query_ms"],
                     "queries": index["scan_queries"], "index_query_ms_same_queries": same,
                     "filter_only_totals_agree": index["filter_only_totals_agree"]},
            "speedup_p50": _speedup(index["scan_query_ms"], same, "p50"),
            "speedup_p99": _speedup(index["scan_query_ms"], same, "p99"),
            "previous_engine": previous,
        })
    return {"sizes": results}
