"""How big each benchmark is: the full run (`python -m benchmarks`) and the smoke-test run (`--quick`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    name: str
    connections: tuple[int, ...]  # wrk concurrent connections per burst level
    duration_s: float  # wrk run length per measurement
    repeats: int  # measured runs per setting, app and baseline alternately (medians reported)
    warmup_s: float  # unmeasured wrk run before each measured one (first-request costs, connection set-up)
    bodies: int  # distinct request bodies cycled by the wrk script
    catalog_sizes: tuple[int, ...]
    queries: int  # query mix size for the indexed search
    scan_queries: int  # query mix prefix run through the (slow) linear scan
    startup_repeats: int  # fresh interpreters per start-up figure (median reported)
    rollout_concurrency: tuple[int, ...]
    rollout_rows: int  # rows x samples_per_row = rollouts per dry run
    rollout_samples: int
    table_store: bool  # also measure the Table Storage trace store (Azurite)
    memory_requests: int
    memory_max_traces: int


FULL = Profile(name="full", connections=(50, 256, 1024), duration_s=6.0, repeats=3, warmup_s=2.0, bodies=400,
               catalog_sizes=(1_000, 10_000, 100_000), queries=400, scan_queries=100, startup_repeats=9,
               rollout_concurrency=(64, 256), rollout_rows=68, rollout_samples=8, table_store=True,
               memory_requests=100_000, memory_max_traces=20_000)

QUICK = Profile(name="quick", connections=(50,), duration_s=2.0, repeats=3, warmup_s=1.0, bodies=40,
                catalog_sizes=(1_000,), queries=40, scan_queries=20, startup_repeats=1, rollout_concurrency=(16,),
                rollout_rows=16, rollout_samples=1, table_store=False, memory_requests=2_000, memory_max_traces=500)
