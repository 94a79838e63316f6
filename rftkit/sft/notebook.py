"""What `notebooks/episodes-to-sft.ipynb` calls: one short cell, one function here.

The session is the job notebook's (`rftkit.notebook.open_session`): without Azure settings it serves the function
app and the stand-in on loopback, and the supervised job is a dry run. The episodes come from the scripted policy
(the notebook says so); `python -m rftkit dry-run --policy model --model <deployment> --episodes FILE` captures a
real base model's instead, and the rest of the path is the same.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from rftkit.notebook import NotebookSession

SFT_MODEL_ENV = "SFT_MODEL"  # the base model to fine-tune (default: sft.job.SFT_DEFAULT_MODEL)
SFT_DEPLOYMENT_ENV = "SFT_DEPLOYMENT"  # on Azure: the deployment of the fine-tuned model, for the retest


def sft_dir(session: NotebookSession) -> Path:
    path = session.output_dir / "sft"
    path.mkdir(parents=True, exist_ok=True)
    return path


def grader(session: NotebookSession) -> dict[str, Any]:
    """The app's endpoint grader (`/score`): it rewards the right SKU and penalises skipping the tool."""
    from rftkit.graders.presets import endpoint_grader

    return endpoint_grader(f"{session.tool_base_url}/score")


async def capture(session: NotebookSession, name: str, policy: Any = None, *, samples_per_row: int = 2,
                  error_rate: float = 0.3, seed: int = 0) -> tuple[Path, Any]:
    """Play every row of the session's validation file (VALID_FILE); write the episodes to
    `<out>/sft/<name>_episodes.jsonl`."""
    from rftkit.jobs.builders import tool_entries
    from rftkit.rollouts import ScriptedPolicy, run_rollouts, write_episodes
    from rftkit.util.jsonl import read_jsonl

    policy = policy or ScriptedPolicy(error_rate=error_rate, seed=seed, catalog=session.catalog())
    report = await run_rollouts(read_jsonl(session.valid_file), tools=tool_entries(
                                    session.tool_base_url, func_key=session.settings.func_key,
                                    names=session.tool_names()),
                                grader=grader(session), policy=policy, samples_per_row=samples_per_row,
                                time_limit=300, explain=True)
    path = sft_dir(session) / f"{name}_episodes.jsonl"
    write_episodes(path, report.episodes)
    return path, report


async def label(session: NotebookSession, episodes: Path) -> str:
    """Label every episode with the endpoint grader (a person's labels are kept)."""
    from rftkit.sft.label import alabel_with_grader
    from rftkit.util.jsonl import read_jsonl

    rows = {str(r["id"]): r for r in read_jsonl(session.valid_file)}
    return (await alabel_with_grader(episodes, grader(session), rows=rows)).render()


def labels_table(episodes: Path, limit: int = 6) -> str:
    from rftkit.graders.io import markdown_table
    from rftkit.sft.label import read_lines

    lines = [line for line in read_lines(episodes) if isinstance(line.data.get("label"), dict)]
    picked = sorted(lines, key=lambda line: line.data["label"]["reward"])[:limit // 2] + lines[-(limit // 2):]
    return markdown_table(["line", "row", "answer", "reward", "source", "reason"], [
        [str(line.number), line.episode.row_id, line.episode.final_answer[:24], f"{line.data['label']['reward']:g}",
         line.data["label"]["source"], line.data["label"]["reason"][:70]] for line in picked])


def build(session: NotebookSession, episodes: Path, min_reward: float = 0.7,
          seed: int = 0) -> tuple[Path, Path | None, str]:
    """(training file, validation file or None when the examples are too few for two files, the report)."""
    from rftkit.sft.build import build_sft

    out = sft_dir(session)
    train, valid = out / "sft_train.jsonl", out / "sft_valid.jsonl"
    valid.unlink(missing_ok=True)  # a previous run's file must not stand in for this one's
    report = build_sft(episodes, session.valid_file, train, min_reward=min_reward, valid_out=valid, valid_share=0.3,
                       seed=seed)
    return train, (valid if str(valid) in report.written else None), report.render()


def info(*paths: Path | None, epochs: int = 3) -> str:
    from rftkit.sft.info import dataset_info, render

    return "\n".join(render(dataset_info(path, epochs)) for path in paths if path is not None)


def validate(train: Path, valid: Path | None) -> str:
    """`validate` on the supervised files; raise if there is an error (nothing is uploaded then)."""
    from rftkit.data.validate import validate_files

    report = validate_files([path for path in (train, valid) if path is not None])
    if not report.ok:
        raise ValueError("the supervised files have errors:\n" + report.render())
    return report.render()


def upload(session: NotebookSession, train: Path, valid: Path | None) -> tuple[str, str | None, str]:
    """Upload the supervised file(s): (training id, validation id or None, a line saying what was uploaded)."""
    from rftkit.notebook import upload as upload_file

    train_file = upload_file(session, train)
    valid_file = upload_file(session, valid) if valid is not None else None
    line = f"training: {train_file.id} {train_file.status} | validation: " + (
        f"{valid_file.id} {valid_file.status}" if valid_file else "none (too few examples for two files)")
    return train_file.id, (valid_file.id if valid_file else None), line


def job_spec(session: NotebookSession, train_id: str, valid_id: str | None,
             n_epochs: int | str = 3) -> dict[str, Any]:
    from rftkit.sft.job import SFT_DEFAULT_MODEL, supervised_spec

    return supervised_spec(training_file=train_id, validation_file=valid_id,
                           model=os.environ.get(SFT_MODEL_ENV) or SFT_DEFAULT_MODEL,
                           hyperparameters={"n_epochs": n_epochs})


async def retest(session: NotebookSession, job: Any) -> tuple[Path | None, str]:
    """Play the same rows again as the fine-tuned model, and say plainly what was played."""
    if session.local:
        path, _ = await capture(session, "tuned")
        return path, (f"The stand-in trained nothing ({job.fine_tuned_model} is a name only), so this retest plays "
                      "the SAME scripted policy again, with the same seed: identical rows are what a fine-tune that "
                      "changed nothing looks like. On Azure this cell plays your fine-tuned deployment.")
    deployment = os.environ.get(SFT_DEPLOYMENT_ENV)
    if not deployment:
        return None, (f"Deploy {job.fine_tuned_model} in Azure AI Foundry, set {SFT_DEPLOYMENT_ENV} to the "
                      "deployment name and re-run this cell.")
    from rftkit.rollouts import ModelPolicy
    from rftkit.settings import make_async_client

    policy = ModelPolicy(make_async_client(session.settings, timeout=120.0), deployment)
    try:
        path, _ = await capture(session, "tuned", policy, samples_per_row=1)
    finally:
        await policy.aclose()
    return path, f"Retested the fine-tuned deployment {deployment} on the same rows."


def compare(base: Path, tuned: Path) -> str:
    from rftkit.rollouts import compare_files

    return compare_files(base, tuned).render(5)
