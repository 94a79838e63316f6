"""RESULTS.md from one run's figures (the same figures as results.json), plus the hand-written record of the
profile-driven work (`optimizations.md`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

NOTES = Path(__file__).resolve().parent / "optimizations.md"
METHOD = """\
- Servers: `python -m uvicorn APP --workers 1 --backlog 2048 --no-access-log` on 127.0.0.1 (uvloop + httptools),
  `LOG_LEVEL=WARNING`, `TOOL_AUTH_DISABLED=true`, `SCORE_AUTH_DISABLED=true`, the shipped 600-product catalog.
- Load: `wrk -t1 -cN -dD --timeout 10s --latency` in its own process, a Lua script cycling through the benchmark's
  request bodies and giving every request its own `trace_id` and `call_id`. Each measured run follows an unmeasured
  warm-up run, and the server is left to go idle between runs (after wrk stops, the server still answers the requests
  that were in flight). Each setting is measured several times, baseline and app alternately: rates and latencies
  are the medians of the runs (results.json keeps every run), requests and errors their sums. "errors" = non-2xx
  responses + wrk socket errors (connect, read, write, timeout). "TCP retransmits" counts the host's retransmitted
  segments during the runs: on loopback each delays a request by at least 200 ms, for the app and the baseline
  alike, and explains most isolated latency spikes on this shared machine.
- Tool bodies: the service's wrapper (`arguments` as a JSON string, the dataset row as `item`) with a seeded mix of
  product-name look-ups, descriptive queries with filters and sorts, filter-only listings, SKUs, misspellings and
  prefixes. /score bodies: the grader's sample shape (docs/service-contract.md#endpoint-grader) with right, prose,
  wrong and empty answers.
- Baseline: a bare Starlette endpoint that reads the body and answers a fixed JSON body of the real endpoint's mean
  response size, served and driven identically. Ratios are app / baseline in the same run; on a shared machine the
  absolute numbers drift, the ratios much less. "CPU ms/req" is the server process's CPU time per answered request.
"""


def _fmt(value: Any, digits: int = 2) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_fmt(c) for c in row) + " |" for row in rows]
    return lines + [""]


def _verdict(met: bool | None) -> str:
    return {True: "**met**", False: "**missed**", None: "not measured in this run"}[met]


def _machine(meta: dict[str, Any]) -> list[str]:
    m = meta["machine"]
    packages = ", ".join(f"{k} {v}" for k, v in m["packages"].items())
    return ["## Machine", "",
            f"- {m['nproc']} CPUs ({m['cpu_model']}), {m['memory_gib']} GiB RAM, {m['os']}; shared and noisy: load "
            f"average {m['load_average_at_start']} at the start, {meta.get('load_average_at_end')} at the end",
            f"- Python {m['python']}, SQLite {m['sqlite']}, {m['wrk'] or 'wrk not found'}",
            f"- {packages}",
            f"- git {m['git_commit']}" + (" (with uncommitted changes in function_app/ or benchmarks/)"
                                          if m["git_app_or_benchmarks_modified"] else ""), ""]


def _burst(burst: dict[str, Any]) -> list[str]:
    lines = ["## 1. Burst throughput and latency (app vs bare Starlette baseline)", ""]
    for path, data in burst["endpoints"].items():
        b = data["bodies"]
        lines += [f"### `POST {path}`", "",
                  f"{b['bodies']} distinct bodies, mean request {b['mean_request_bytes']:,} B, mean response "
                  f"{b['mean_response_bytes']:,} B (max {b['max_response_bytes']:,} B); tool outputs that are error "
                  f"payloads: {b['error_outputs']}. Baseline body: {data['baseline_body_bytes']:,} B.", ""]
        rows = []
        for lv in data["levels"]:
            a, base = lv["app"], lv["baseline"]
            rows.append([lv["connections"], a["requests_per_s"], base["requests_per_s"], lv["rps_ratio"],
                         a["p50_ms"], a["p99_ms"], base["p50_ms"], base["p99_ms"],
                         f"{a['non_2xx']} / {a['socket_errors']}", f"{base['non_2xx']} / {base['socket_errors']}",
                         a["server_cpu_ms_per_request"], base["server_cpu_ms_per_request"],
                         f"{a.get('tcp_retransmits', 0)} / {base.get('tcp_retransmits', 0)}"])
        lines += _table(["conns", "app req/s", "base req/s", "ratio", "app p50 ms", "app p99 ms", "base p50 ms",
                         "base p99 ms", "app non-2xx / socket err", "base non-2xx / socket err", "app CPU ms/req",
                         "base CPU ms/req", "TCP retransmits app / base"], rows)
    logged = burst.get("with_request_logging")
    if logged:
        a = logged["app"]
        lines += [f"With request logging on (`LOG_LEVEL=INFO`: one JSON line per request, plus uvicorn's access log), "
                  f"tool endpoint at {logged['connections']} connections: {_fmt(a['requests_per_s'], 1)} req/s, "
                  f"p99 {_fmt(a['p99_ms'])} ms, {_fmt(a['server_cpu_ms_per_request'], 3)} CPU ms/req, "
                  f"errors {a['errors']}.", ""]
    return lines


def _search(search: dict[str, Any]) -> list[str]:
    rows, previous = [], []
    for s in search["sizes"]:
        scan = s["scan"]
        rows.append([s["products"], s["build_s"], round(s["index_rss_kib"] / 1024, 1), s["index_query_ms"]["p50"],
                     s["index_query_ms"]["p99"], scan["query_ms"]["p50"], scan["query_ms"]["p99"], s["speedup_p50"],
                     s["speedup_p99"], scan["build_s"], round(scan["rss_kib"] / 1024, 1),
                     scan["filter_only_totals_agree"]])
        old = s.get("previous_engine")
        if old:
            previous.append([s["products"], old["build_s"], round(old["rss_kib"] / 1024, 1), old["query_ms"]["p50"],
                             old["query_ms"]["p99"], old["query_ms"]["max"], s["index_query_ms"]["max"],
                             f"{old['same_answers']} / {old['queries']}"])
    queries = search["sizes"][0]["queries"] if search["sizes"] else 0
    scan_queries = search["sizes"][0]["scan"]["queries"] if search["sizes"] else 0
    lines = ["## 2. Search at scale (index vs plain Python linear scan)", "",
             f"Generated catalogs (`rftkit.data.catalog_gen`), {queries} queries per catalog for the index (after one "
             f"unmeasured pass); the scan runs the first {scan_queries}, and the speed-ups compare the index on those "
             "same queries. Memory is the RSS growth of a fresh process while building.", ""]
    lines += _table(["products", "index build s", "index MiB", "index p50 ms", "index p99 ms", "scan p50 ms",
                     "scan p99 ms", "speed-up p50", "speed-up p99", "scan build s", "scan MiB",
                     "filter-only totals agree"], rows)
    if previous:
        lines += ["The SQLite FTS5 engine the index replaced (`benchmarks/fts5_reference.py`), same products and "
                  "queries, same run; \"same answers\" counts queries where both return the same items in the same "
                  "order, total and match mode:", ""]
        lines += _table(["products", "FTS5 build s", "FTS5 MiB", "FTS5 p50 ms", "FTS5 p99 ms", "FTS5 max ms",
                         "index max ms", "same answers"], previous)
    return lines


def _startup(st: dict[str, Any]) -> list[str]:
    rows = [[label, st[key]["app"], st[key]["minimal"], st[key]["ratio"]] for key, label in (
        ("import_ms", "import of the entry module, ms"),
        ("first_request_ms", "first request through AsgiFunctionApp (starts lifespan), ms"),
        ("second_request_ms", "second request, ms"),
        ("import_plus_first_request_ms", "import + first request, ms"),
        ("uvicorn_spawn_to_first_response_ms", "uvicorn: process spawn to first 200, ms"))]
    lines = ["## 3. Start-up (app vs minimal FastAPI-in-AsgiFunctionApp)", "",
             f"Median of {st['repeats']} fresh interpreters each, run alternately; the ratio is the median of the "
             "paired ratios (each app run over the minimal run right after it).", ""]
    lines += _table(["", "function_app", "minimal app", "ratio"], rows)
    lines += ["Largest cumulative imports of `function_app` (`python -X importtime`, one run):", ""]
    lines += _table(["module", "cumulative ms", "self ms"],
                    [["  " * r["depth"] + r["module"], r["cumulative_ms"], r["self_ms"]]
                     for r in st["app_import_breakdown"]])
    return lines


def _dry_run(dry: dict[str, Any], table: dict[str, Any] | None) -> list[str]:
    lines = ["## 4. Dry-run throughput and the Table Storage trace store", ""]
    if "skipped" in dry:
        lines += [f"Dry run not measured: {dry['skipped']}", ""]
    else:
        lines += [f"`rftkit.rollouts.run_rollouts` with the scripted policy and the endpoint grader (no `rate_limit`), "
                  f"{dry['rows']} rows x {dry['samples_per_row']} samples, against the app and against a stub "
                  "service that answers both endpoints without work (the runner's own ceiling: it shares the two "
                  "cores with the server).", ""]
        rows = []
        for lv in dry["levels"]:
            a, s = lv["app"], lv["stub"]
            rows.append([lv["concurrency"], a["rollouts"], a["rollouts_per_s"], s["rollouts_per_s"], lv["ratio"],
                         a["rollouts_with_errors"], a["tool_latency_ms"].get("p99") if a["tool_latency_ms"] else None,
                         a["grader_latency_ms"].get("p99") if a["grader_latency_ms"] else None])
        lines += _table(["concurrency", "rollouts", "app rollouts/s", "stub rollouts/s", "ratio",
                         "rollouts with errors", "tool p99 ms", "grader p99 ms"], rows)
    if table and "error" not in table:
        t, m = table["table"], table["memory"]
        lines += [f"Trace store, tool endpoint at {table['connections']} connections:", ""]
        lines += _table(["store", "req/s", "p50 ms", "p99 ms", "errors", "CPU ms/req"],
                        [["memory", m["requests_per_s"], m["p50_ms"], m["p99_ms"], m["errors"],
                          m["server_cpu_ms_per_request"]],
                         ["table (Azurite)", t["requests_per_s"], t["p50_ms"], t["p99_ms"], t["errors"],
                          t["server_cpu_ms_per_request"]]])
        lines += [f"Table / memory: {_fmt(table['rps_ratio'], 3)}x the requests/s, {_fmt(table['p99_ratio'])}x the "
                  "p99.", ""]
    elif table:
        lines += [f"Table store not measured: {table['error']}", ""]
    return lines


def _memory(mem: dict[str, Any]) -> list[str]:
    app, base = mem["app"], mem["baseline"]
    lines = ["## 5. Memory under a long burst", "",
             f"{app['requests']:,} tool requests (each its own trace_id) at {mem['connections']} connections, "
             f"`TRACE_MAX_TRACES={mem['trace_max_traces']}`; errors: app {app['errors']}, baseline {base['errors']}. "
             f"Peak RSS: app {app['peak_rss_kib'] / 1024:.1f} MiB, baseline {base['peak_rss_kib'] / 1024:.1f} MiB "
             f"(ratio {_fmt(mem['peak_ratio'])}). RSS growth after 2x the bound: app "
             f"{_fmt(mem['app_growth_after_2x_bound_kib'])} KiB, baseline "
             f"{_fmt(mem['baseline_growth_after_2x_bound_kib'])} KiB. The bound holds: "
             f"{_fmt(mem['bound_holds'])} (the burst's first trace has "
             f"{mem['eviction_check']['oldest_trace_calls']} recorded calls left, a trace from the last second has "
             f"{mem['eviction_check']['recent_trace_calls']}).", ""]
    rows = []
    for i, sample in enumerate(app["samples"]):
        other = base["samples"][i] if i < len(base["samples"]) else None
        rows.append([sample["requests"], round(sample["rss_kib"] / 1024, 1),
                     other and other["requests"], other and round(other["rss_kib"] / 1024, 1)])
    return lines + _table(["app requests", "app RSS MiB", "baseline requests", "baseline RSS MiB"], rows)


def render(results: dict[str, Any]) -> str:
    meta = results["meta"]
    lines = ["# Benchmarks", "",
             f"Generated {meta['date']} by `{meta['command']}` ({meta['profile']} profile, "
             f"{meta['duration_s']:.0f} s). "
             "Every figure is measured side by side with its baseline in the same run.", ""]
    lines += _machine(meta)
    lines += ["## Targets", ""]
    lines += _table(["target", "wanted", "measured", "verdict"],
                    [[t["target"], t["wanted"], t["measured"], _verdict(t["met"])] for t in results["targets"]])
    for key, section in (("burst", _burst), ("search", _search), ("startup", _startup)):
        if key in results and "error" not in results[key]:
            lines += section(results[key])
        elif key in results:
            lines += [f"## {key}: failed", "", f"```\n{results[key]['error']}\n```", ""]
    if "dry_run" in results or "table_store" in results:
        dry = results.get("dry_run", {"skipped": "not run (--only)"})
        lines += _dry_run(dry, results.get("table_store")) if "error" not in dry else [
            "## dry run: failed", "", f"```\n{dry['error']}\n```", ""]
    if "memory" in results:
        mem = results["memory"]
        lines += _memory(mem) if "error" not in mem else ["## memory: failed", "", f"```\n{mem['error']}\n```", ""]
    lines += ["## Method", "", METHOD]
    if NOTES.exists():
        lines += [NOTES.read_text(encoding="utf-8").rstrip(), ""]
    return "\n".join(lines)
