"""4b. The Table Storage trace store's cost: the tool endpoint at one connection level with TRACE_STORE=table
(Azurite on loopback) against the default in-memory store, same bodies, same run. Every tool call with a
trace_id is one upsert to the table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .burst import APP, TOOL_PATH, combine, measure
from .procs import app_env, azurite_table, uvicorn_server
from .profiles import Profile
from .stats import ratio


def run(profile: Profile, workdir: Path, script: Path) -> dict[str, Any]:
    level = 256 if 256 in profile.connections else profile.connections[0]
    location = workdir / "azurite"
    location.mkdir(exist_ok=True)
    with azurite_table(location) as connection:
        env = app_env(TRACE_STORE="table", TRACE_STORE_CONNECTION=connection, TRACE_TABLE_NAME="benchtraces")
        with uvicorn_server(*APP, env=env) as table_app, uvicorn_server(*APP, env=app_env()) as memory_app:
            memory_runs, table_runs = [], []
            for _ in range(profile.repeats):  # alternately, as in the burst benchmark
                memory_runs.append(measure(memory_app, TOOL_PATH, script, level, profile))
                table_runs.append(measure(table_app, TOOL_PATH, script, level, profile))
            memory, table = combine(memory_runs), combine(table_runs)
    return {"connections": level, "table": table, "memory": memory,
            "rps_ratio": ratio(table["requests_per_s"], memory["requests_per_s"]),
            "p99_ratio": ratio(table["p99_ms"], memory["p99_ms"], 2)}
