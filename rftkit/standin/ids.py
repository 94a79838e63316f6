"""Object ids shaped like the service's (`file-…`, `ftjob-…`, `ftevent-…`, `ftckpt-…`) and timestamps."""

from __future__ import annotations

import time
import uuid


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:24]}"


def now() -> int:
    return int(time.time())
