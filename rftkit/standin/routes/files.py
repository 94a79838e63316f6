"""/files: upload (multipart, purpose=fine-tune), retrieve, content, list, delete. Uploads are checked as JSONL."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request, Response

from rftkit.standin.body import read_capped
from rftkit.standin.errors import StandinError
from rftkit.standin.ids import new_id
from rftkit.standin.multipart import parse_form
from rftkit.standin.rows import check_jsonl
from rftkit.standin.state import StandinState, StoredFile, page

router = APIRouter(tags=["files"])
_FORM_OVERHEAD = 64 * 1024  # multipart boundaries and the purpose field, on top of the file itself


def _state(request: Request) -> StandinState:
    return request.app.state.standin


def process(stored: StoredFile) -> None:
    """Validate the rows as the service does: `processed` (warnings in `status_details`), or `error` with why."""
    verdict = check_jsonl(stored.data)
    stored.rows, stored.status_details = verdict.rows, verdict.status_details()
    stored.status = "processed" if verdict.ok else "error"


async def _process_later(stored: StoredFile, delay: float) -> None:
    await asyncio.sleep(delay)
    stored.status = "running"
    await asyncio.sleep(0)
    process(stored)


@router.post("/files")
async def create_file(request: Request) -> dict[str, Any]:
    state = _state(request)
    limit = state.config.max_file_bytes
    raw = await read_capped(request, limit + _FORM_OVERHEAD, param="file")
    try:
        form = parse_form(raw, request.headers.get("content-type", ""))
    except ValueError as exc:
        raise StandinError(400, f"Upload a file as multipart/form-data: {exc}.", param="file",
                           code="invalid_value") from exc
    if "purpose" not in form:
        raise StandinError(400, "Missing required parameter: 'purpose'.", param="purpose",
                           code="missing_required_parameter")
    purpose = form["purpose"].data.decode("utf-8", "replace")
    if purpose != "fine-tune":
        raise StandinError(400, "purpose must be 'fine-tune' (the only purpose this stand-in serves); "
                           f"got {purpose!r}.", param="purpose", code="invalid_value")
    upload = form.get("file")
    if upload is None or upload.filename is None:
        raise StandinError(400, "Missing required parameter: 'file'.", param="file", code="missing_required_parameter")
    if not upload.filename.lower().endswith(".jsonl"):
        raise StandinError(400, f"Fine-tune files must be JSONL (.jsonl); got {upload.filename!r}.", param="file",
                           code="invalid_value")
    if len(upload.data) > limit:
        raise StandinError(413, f"The file is larger than {limit} bytes.", param="file", code="file_too_large")
    stored = state.add_file(StoredFile(new_id("file"), upload.filename, purpose, upload.data))
    if state.config.file_processing_delay > 0:
        state.spawn(_process_later(stored, state.config.file_processing_delay))
    else:
        process(stored)
    return stored.public()


@router.get("/files")
async def list_files(request: Request, purpose: str | None = None, limit: int = 10_000, after: str | None = None,
                     order: str = "desc") -> dict[str, Any]:
    files = [f.public() for f in _state(request).files.values() if purpose is None or f.purpose == purpose]
    if order != "asc":
        files.reverse()
    return page(files, after, limit, max_limit=10_000)


@router.get("/files/{file_id}")
async def retrieve_file(request: Request, file_id: str) -> dict[str, Any]:
    return _state(request).file(file_id).public()


@router.get("/files/{file_id}/content")
async def file_content(request: Request, file_id: str) -> Response:
    return Response(_state(request).file(file_id).data, media_type="application/octet-stream")


@router.delete("/files/{file_id}")
async def delete_file(request: Request, file_id: str) -> dict[str, Any]:
    state = _state(request)
    state.file(file_id)
    del state.files[file_id]
    return {"id": file_id, "object": "file", "deleted": True}
