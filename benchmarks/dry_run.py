"""4a. Dry-run throughput: rollouts/s of the preflight runner (`rftkit.rollouts.run_rollouts`, scripted policy,
endpoint grader) against the app under uvicorn, at each concurrency — and against a stub service that answers both
endpoints without work (the runner's own ceiling on this machine). The runner shares the machine's two cores
with the server, as a local dry run does."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from .procs import REPO, app_env, uvicorn_server
from .profiles import Profile
from .stats import ratio
from .workload import rows

STUB = ("stub_service:app", REPO / "benchmarks" / "apps")
APP = ("function_app:fastapi_app", REPO / "function_app")


def _rows(count: int) -> list[dict[str, Any]]:
    loaded = rows()
    return [loaded[i % len(loaded)] for i in range(count)]


async def _one_run(base_url: str, dataset: list[dict[str, Any]], samples: int, concurrency: int,
                   policy: Any) -> dict[str, Any]:
    from rftkit.rollouts import run_rollouts

    tools = [{"name": "search_catalog", "server_url": base_url + "/tool/search_catalog"}]
    report = await run_rollouts(dataset, tools=tools,
                                grader={"type": "endpoint", "url": base_url + "/score"}, policy=policy,
                                samples_per_row=samples, concurrency=concurrency, time_limit=300.0)
    summary = report.summary()
    rollouts = summary["rollouts"]
    return {"rollouts": rollouts, "wall_s": summary["wall_s"],
            "rollouts_per_s": round(rollouts / summary["wall_s"], 1) if summary["wall_s"] else None,
            "status": summary["status"], "rollouts_with_errors": summary["rollouts_with_errors"],
            "errors": summary["errors"], "tool_calls_per_rollout": summary["tool_calls"]["per_rollout_mean"],
            "tool_latency_ms": summary["latency_ms"]["tool"], "grader_latency_ms": summary["latency_ms"]["grader"],
            "mean_reward": summary["mean_reward"]}


def run(profile: Profile) -> dict[str, Any]:
    try:
        from rftkit.rollouts import ScriptedPolicy
    except ImportError as exc:  # the preflight runner ships with rftkit; say so rather than skip silently
        return {"skipped": f"rftkit.rollouts is not importable: {exc}"}
    policy = ScriptedPolicy()
    dataset = _rows(profile.rollout_rows)
    levels = []
    with uvicorn_server(*APP, env=app_env()) as app, uvicorn_server(*STUB, env=app_env()) as stub:
        asyncio.run(_one_run(app.url, dataset[:4], 1, 4, policy))  # warm both paths once
        asyncio.run(_one_run(stub.url, dataset[:4], 1, 4, policy))
        for concurrency in profile.rollout_concurrency:
            base = asyncio.run(_one_run(stub.url, dataset, profile.rollout_samples, concurrency, policy))
            real = asyncio.run(_one_run(app.url, dataset, profile.rollout_samples, concurrency, policy))
            levels.append({"concurrency": concurrency, "app": real, "stub": base,
                           "ratio": ratio(real["rollouts_per_s"], base["rollouts_per_s"])})
    return {"rows": len(dataset), "samples_per_row": profile.rollout_samples, "levels": levels,
            "note": json.dumps({"policy": "ScriptedPolicy(error_rate=0)", "grader": "endpoint, no rate_limit"})}
