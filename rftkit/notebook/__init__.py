"""What the job notebook (`notebooks/rft-tool-call.ipynb`) calls: one short cell, one function here.

Without `AZURE_OPENAI_ENDPOINT` the session runs against the local stand-in of the Azure OpenAI v1 API, and
without `TOOL_BASE_URL` / `FUNC_APP_NAME` it serves the function app itself on loopback: the notebook then runs
end to end with no Azure account. With Azure settings the same cells submit real jobs, once `SUBMIT = True`.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from rftkit import REPO_ROOT
from rftkit.jobs.status import TERMINAL_STATUSES
from rftkit.settings import SettingsError, ToolkitSettings, load_settings, make_client
from rftkit.util.endpoint_errors import not_found, shown_url, unreachable
from rftkit.wire import TOOL_NAME, ToolRequest, grader_body, sample_from_text, tool_call_body


@dataclass
class NotebookSession:
    settings: ToolkitSettings
    client: Any  # openai.OpenAI
    tool_base_url: str
    local: bool  # True: the local stand-in, not Azure
    output_dir: Path
    servers: list[Any] = field(default_factory=list)  # what this session started (stopped by close())
    _catalog: Any = field(default=None, repr=False)

    @property
    def tool_headers(self) -> dict[str, str]:
        return self.settings.tool_headers or {}

    @property
    def train_file(self) -> Path:
        return self.settings.train_file

    @property
    def valid_file(self) -> Path:
        return self.settings.valid_file

    def catalog(self) -> Any:
        """The catalog of the CATALOG_PATH setting (the app's), loaded once per session."""
        if self._catalog is None:
            from catalog_tools.search import Catalog

            self._catalog = Catalog.from_path(self.settings.catalog_path)
        return self._catalog

    def tool_names(self) -> list[str]:
        """The tools the data rows offer (the job serves exactly those), in the app registry's order."""
        from catalog_tools.tools import TOOLS
        from rftkit.util.jsonl import read_jsonl

        offered = {tool.get("function", {}).get("name") for row in read_jsonl(self.train_file)
                   for tool in row.get("tools") or [] if isinstance(tool, dict)}
        return [name for name in TOOLS.names if name in offered] or TOOLS.names[:1]

    def describe(self) -> str:
        target = (f"the LOCAL STAND-IN of the Azure OpenAI v1 API at {self.settings.endpoint} (no Azure account "
                  "needed; jobs are dry runs that train nothing)" if self.local
                  else f"Azure OpenAI at {self.settings.endpoint} (REAL jobs, billed per hour of training, only "
                       "once SUBMIT = True)")
        return (f"Jobs go to {target}.\nSign-in: {self.settings.auth}\nTool and grader endpoints: {self.tool_base_url}"
                f"{' (served by this notebook)' if any(s[0] == 'app' for s in self.servers) else ''}\n"
                f"Outputs: {self.output_dir}")

    def close(self) -> None:
        for _, server in reversed(self.servers):
            server.stop()
        self.servers.clear()


def open_session(env_file: str | Path | None = None, *, step_delay: float = 0.5,
                 policy_error_rate: float = 0.25) -> NotebookSession:
    """Load `.env`; start what is missing locally (the app, the stand-in); build the OpenAI client."""
    from rftkit.util.servers import BackgroundServer

    settings = load_settings(env_file)
    servers: list[Any] = []
    if settings.tool_base_url is None:
        if settings.uses_azure:
            raise SettingsError("AZURE_OPENAI_ENDPOINT is set, so the jobs run on Azure and need a public tool "
                                "endpoint: set FUNC_APP_NAME (or TOOL_BASE_URL) in .env")
        from catalog_tools.app import create_app
        from catalog_tools.config import Settings as AppSettings

        app_server = BackgroundServer(create_app(AppSettings(tool_auth_disabled=True, score_auth_disabled=True,
                                                             catalog_path=settings.catalog_path,
                                                             log_level="WARNING"))).start()
        servers.append(("app", app_server))
        settings = settings.model_copy(update={"tool_base_url": app_server.url})
    if not settings.uses_azure and settings.standin_url is None:
        from rftkit.standin import StandinConfig
        from rftkit.standin.server import StandinServer

        standin = StandinServer(StandinConfig(step_delay=step_delay, policy_error_rate=policy_error_rate)).start()
        servers.append(("standin", standin))
        settings = settings.model_copy(update={"standin_url": standin.url})
    output_dir = Path(os.environ.get("RFTKIT_OUTPUT_DIR") or REPO_ROOT / "out")
    output_dir.mkdir(parents=True, exist_ok=True)
    assert settings.tool_base_url is not None
    return NotebookSession(settings, make_client(settings), settings.tool_base_url, not settings.uses_azure,
                           output_dir, servers)


# ---- preflight -------------------------------------------------------------------------------------------------

def validate_data(session: NotebookSession | None = None, train: Path | None = None,
                  valid: Path | None = None) -> str:
    """Run the dataset validator against the session's catalog (CATALOG_PATH) and files (TRAIN_FILE, VALID_FILE);
    raise if either file has an error (nothing is uploaded then)."""
    from rftkit.data.validate import validate_files

    settings = session.settings if session is not None else load_settings()
    train, valid = train or settings.train_file, valid or settings.valid_file
    names = {"tool_names": session.tool_names()} if session is not None else {}
    report = validate_files([train, valid], catalog=settings.catalog_path, **names)
    if not report.ok:
        raise ValueError("the dataset has errors; fix them before uploading:\n" + report.render())
    return report.render()


def smoke_test_endpoints(session: NotebookSession) -> list[dict[str, Any]]:
    """POST the service's exact tool wrapper and grader request; raise unless both answer as the service needs."""
    base = session.tool_base_url
    trace_id = f"trace_preflight_{int(time.time())}"
    product = _sample_products(session)[0]
    call = ToolRequest(TOOL_NAME, json.dumps({"query": product.name, "top_k": 1}), "call_preflight", "fc_preflight")
    wrapper = tool_call_body(call, trace_id, {})
    grader_request = grader_body(sample_from_text(product.sku), {"reference_answer": product.sku}, trace_id)
    results = []
    with httpx.Client(timeout=30) as http:
        for name, url, body, headers in (("tool", f"{base}/tool/search_catalog", wrapper, session.tool_headers),
                                         ("grader", f"{base}/score", grader_request, {})):
            started = time.perf_counter()
            try:
                response = http.post(url, json=body, headers=headers)
            except httpx.ConnectError as exc:
                raise RuntimeError(f"the {name} endpoint is not ready: {unreachable(url, exc)}") from None
            except httpx.HTTPError as exc:
                raise RuntimeError(f"the {name} endpoint is not ready: {shown_url(url)}: {type(exc).__name__}: "
                                   f"{exc}") from None
            if response.status_code == 404:
                raise RuntimeError(f"the {name} endpoint is not ready: {not_found(url)}")
            results.append({"endpoint": name, "url": url, "status": response.status_code,
                            "ms": round((time.perf_counter() - started) * 1000, 1), "body": response.text[:160],
                            "json": _json_or_none(response)})
    tool, grader = results
    if tool["status"] != 200 or (tool["json"] or {}).get("type") != "function_call_output":
        raise RuntimeError(f"the tool endpoint is not ready: {shown_url(tool['url'])} answered {tool['status']} "
                           f"{tool['body']}")
    if grader["status"] != 200 or not isinstance((grader["json"] or {}).get("score"), float):
        raise RuntimeError(f"the grader endpoint is not ready: {shown_url(grader['url'])} answered "
                           f"{grader['status']} {grader['body']}")
    return [{k: v for k, v in r.items() if k != "json"} for r in results]


_SHIPPED_SAMPLE = ("JKT-URB-009", "JKT-ALP-001")  # the public sample's product, and another, in the shipped catalog


def _sample_products(session: NotebookSession) -> list[Any]:
    """Two products of the session's catalog for the preflight: the public sample's pair when present."""
    catalog = session.catalog()
    shipped = [catalog.by_sku[sku] for sku in _SHIPPED_SAMPLE if sku in catalog.by_sku]
    return shipped if len(shipped) == 2 else catalog.products[:2]


def _json_or_none(response: httpx.Response) -> dict[str, Any] | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def check_grader(session: NotebookSession, grader: dict[str, Any], right: str | None = None,
                 wrong: str | None = None) -> dict[str, float]:
    """`graders.validate` the grader, then `graders.run` it on a right and a wrong answer (default: two SKUs of the
    session's catalog); raise if it misjudges."""
    samples = _sample_products(session)
    right, wrong = right or samples[0].sku, wrong or samples[-1].sku
    client = session.client
    client.fine_tuning.alpha.graders.validate(grader=grader)
    item = {"reference_answer": right}
    runs = {answer: client.fine_tuning.alpha.graders.run(grader=grader, model_sample=answer, item=item)
            for answer in (right, wrong)}
    for answer, run in runs.items():
        failure = _grader_run_failure(run)
        if failure:
            raise RuntimeError(f"the grader failed on the answer {answer!r}: {failure}")
    rewards = {answer: run.reward for answer, run in runs.items()}
    if not rewards[right] > rewards[wrong]:
        raise ValueError(f"the grader does not pay the right answer more than a wrong one: {rewards}")
    return rewards


def _grader_run_failure(run: Any) -> str | None:
    """A `graders/run` response's errors: the stand-in's readable messages, else the service's raised flags."""
    metadata = getattr(run, "metadata", None)
    messages = getattr(metadata, "error_messages", None)
    if isinstance(messages, list) and messages:
        return "; ".join(map(str, messages))
    errors = getattr(metadata, "errors", None)
    flags = [key for key, value in errors.model_dump().items() if value is True] if errors is not None else []
    return ", ".join(flags) or None


def reward_hack_tables(session: NotebookSession, graders: dict[str, dict[str, Any]], rows: int = 24) -> str:
    """The reward-hacking check for each grader on the first `rows` validation rows, as text tables."""
    from rftkit.graders.attacks import CatalogContext
    from rftkit.graders.hacking import check_reward_hacks, format_report

    data = [json.loads(line) for line in session.valid_file.read_text(encoding="utf-8").splitlines()[:rows]]
    catalog = CatalogContext.load(session.settings.catalog_path)
    tool_url = f"{session.tool_base_url}/tool/search_catalog"
    tables = []
    for label, grader in graders.items():
        report = check_reward_hacks(grader, data, catalog, tool_url=tool_url, tool_headers=session.tool_headers)
        # The endpoint grader accepts lower case on purpose: SKUs are case-insensitive identifiers.
        accepted = ("lower_case",) if grader.get("type") == "endpoint" else ()
        tables.append(f"{label}\n{format_report(report, accepted)}")
    return "\n\n".join(tables)


async def dry_run(session: NotebookSession, grader: dict[str, Any], *, samples_per_row: int = 3,
                  error_rate: float = 0.25, concurrency: int = 64) -> Any:
    """Rollouts of every validation row against the real tool and `grader`, as the service plays them."""
    from rftkit.jobs.builders import tool_entries
    from rftkit.rollouts import ScriptedPolicy, run_rollouts

    rows = [json.loads(line) for line in session.valid_file.read_text(encoding="utf-8").splitlines()]
    tools = tool_entries(session.tool_base_url, func_key=session.settings.func_key, names=session.tool_names())
    policy = ScriptedPolicy(error_rate=error_rate, catalog=session.catalog())
    return await run_rollouts(rows, tools=tools, grader=grader, policy=policy,
                              samples_per_row=samples_per_row, concurrency=concurrency, time_limit=300)


# ---- files and jobs --------------------------------------------------------------------------------------------

def upload(session: NotebookSession, path: Path) -> Any:
    """Upload a JSONL for fine-tuning and wait until processed; `wait_for_processing` does not raise on `error`."""
    with path.open("rb") as fh:
        created = session.client.files.create(file=fh, purpose="fine-tune")
    done = session.client.files.wait_for_processing(created.id, poll_interval=1.0, max_wait_seconds=1800)
    if done.status != "processed":
        raise RuntimeError(f"{path.name}: file {done.id} is {done.status!r}: {getattr(done, 'status_details', '')}")
    return done


def job_specs(session: NotebookSession, train_id: str, valid_id: str) -> dict[str, dict[str, Any]]:
    """Job A (multi grader) and Job B (endpoint grader), checked before anything is sent."""
    from rftkit.jobs.builders import job_a_spec, job_b_spec

    rows = [session.train_file, session.valid_file]
    common = {"training_file": train_id, "validation_file": valid_id, "rows": rows,
              "tool_base_url": session.tool_base_url, "func_key": session.settings.func_key,
              "tool_names": session.tool_names()}
    return {"A": job_a_spec(model=session.settings.job_a_model, **common),
            "B": job_b_spec(model=session.settings.job_b_model, **common)}


def submission_plan(session: NotebookSession) -> str:
    """What `job_specs` would create, per job, and what that commits to; nothing is uploaded or created."""
    from rftkit.jobs.submission import submission_plan as render
    from rftkit.util.jsonl import read_jsonl

    files = {path.name: (path, len(read_jsonl(path))) for path in (session.train_file, session.valid_file)}
    return render(job_specs(session, session.train_file.name, session.valid_file.name), files, session.local)


def require_submit(session: NotebookSession, submit: bool) -> str:
    """On Azure, stop here (`NothingSubmitted`) unless `submit`; the stand-in's free dry runs always go ahead."""
    from rftkit.jobs.submission import require_submit as decide

    return decide(session.local, submit)


def watch(session: NotebookSession, job_ids: dict[str, str], poll_interval: float | None = None,
          timeout: float = 6 * 3600) -> dict[str, Any]:
    """Poll every job until all are terminal, printing each status change; return the final jobs.

    Without `poll_interval`: every second on the stand-in; on Azure from 2 s, doubling up to a minute (a job's
    first states pass quickly, training takes hours)."""
    from rftkit.jobs.monitor import wait_for_jobs

    shown: dict[str, str] = {}

    def show(label: str, job: Any) -> None:
        if shown.get(label) != job.status:
            print(f"[{time.strftime('%H:%M:%S')}] Job {label} {job_ids[label]}: {job.status}", flush=True)
            shown[label] = job.status

    first = poll_interval if poll_interval is not None else (1.0 if session.local else 2.0)
    longest = poll_interval if poll_interval is not None else (1.0 if session.local else 60.0)
    return wait_for_jobs(session.client, job_ids, poll_interval=first, max_interval=longest, timeout=timeout,
                         on_update=show)


def events(session: NotebookSession, job_id: str, limit: int = 100) -> list[Any]:
    """The job's events, oldest first."""
    return list(reversed(session.client.fine_tuning.jobs.list_events(job_id, limit=limit).data))


def plot_rewards(session: NotebookSession, job_ids: dict[str, str]) -> Any:
    """Mean reward per step, per job, from the `metrics` events (a matplotlib Figure): train and validation on
    Azure; on the stand-in, the step's share of the validation rows and every validation row so far."""
    import matplotlib.pyplot as plt

    from rftkit.jobs.monitor import reward_curve

    fig, ax = plt.subplots(figsize=(7, 4))
    for label, job_id in job_ids.items():
        curve = reward_curve(events(session, job_id, limit=1000))
        steps = [point["step"] for point in curve]
        # A dry run plays validation rows only: its per-step figure is not a train reward.
        step_label = "step's validation rows" if session.local else "train"
        valid_label = "validation rows so far" if session.local else "validation"
        ax.plot(steps, [p["train_mean_reward"] for p in curve], marker="o", label=f"Job {label} {step_label}")
        ax.plot(steps, [p["full_valid_mean_reward"] for p in curve], marker="s", linestyle="--",
                label=f"Job {label} {valid_label}")
    ax.set_xlabel("step")
    ax.set_ylabel("mean reward")
    ax.set_ylim(0, 1.05)
    ax.set_title("Reward per step" + (" (stand-in dry run, scripted policy)" if session.local else ""))
    ax.legend()
    fig.tight_layout()
    plt.close(fig)  # the caller displays it once; the inline backend would show an open figure again
    return fig


def try_controls(session: NotebookSession, spec: dict[str, Any], timeout: float = 120.0) -> list[str]:
    """Local only: pause, resume and cancel a throwaway job (on Azure these would act on a real, billed job)."""
    if not session.local:
        raise RuntimeError("try_controls creates and cancels a job: use it against the local stand-in only")
    jobs = session.client.fine_tuning.jobs
    job = jobs.create(**{**spec, "suffix": "controls"})
    log = [f"created {job.id}: {job.status}"]
    deadline = time.monotonic() + timeout
    # Pause works once a running job has trained a step (docs/service-contract.md#files-job-statuses-and-monitoring).
    while not any(e.type == "metrics" for e in events(session, job.id)):
        if time.monotonic() > deadline or jobs.retrieve(job.id).status in TERMINAL_STATUSES:
            raise RuntimeError(f"job {job.id} never reached its first step")
        time.sleep(0.2)
    log.append(f"pause  -> {jobs.pause(job.id).status}")
    log.append(f"resume -> {jobs.resume(job.id).status}")
    log.append(f"cancel -> {jobs.cancel(job.id).status}")
    return log


def write_summary(session: NotebookSession, jobs: dict[str, Any]) -> dict[str, Any]:
    """Write `summary.json` (per job: status, whether it was a dry run, the last rewards and what each was measured
    on) to the output folder and return it."""
    from rftkit.jobs.monitor import final_rewards

    summary: dict[str, Any] = {"mode": "local stand-in" if session.local else "azure", "jobs": {}}
    for label, job in jobs.items():
        summary["jobs"][label] = {
            "id": job.id, "model": job.model, "status": job.status,
            "fine_tuned_model": getattr(job, "fine_tuned_model", None),
            "error": job.error.message if getattr(job, "error", None) and job.error.message else None,
            **final_rewards(events(session, job.id, limit=1000)),
        }
    (session.output_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary


def job_line(label: str, job: dict[str, Any]) -> str:
    """One job of `summary.json` in a line, each reward with what it was measured on."""
    step, valid = job["last_step_reward"], job["validation_reward"]
    return (f"Job {label}: {job['id']} {job['status']}{' (stand-in dry run)' if job['dry_run'] else ''}; "
            f"reward {step['value']} on {step['measured_on']}; {valid['value']} on {valid['measured_on']}")


def summary_table(summary: dict[str, Any], labels: Sequence[str] = ("A", "B")) -> str:
    lines = ["| job | id | status | reward, last step | reward, validation |", "|---|---|---|---|---|"]
    for label in labels:
        job = summary["jobs"].get(label)
        if job:
            step, valid = job["last_step_reward"], job["validation_reward"]
            lines.append(f"| {label} | {job['id']}{' (stand-in dry run)' if job['dry_run'] else ''} | "
                         f"{job['status']} | {step['value']} on {step['measured_on']} | "
                         f"{valid['value']} on {valid['measured_on']} |")
    return "\n".join(lines)
