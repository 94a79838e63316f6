"""Run in a fresh interpreter by the start-up benchmark: import an Azure Functions entry module, then send two
requests through its real `AsgiFunctionApp` adapter (the first one also starts the ASGI lifespan, as on a cold
instance). Prints one JSON line: import time, first and second request latency, status codes.

    python -m benchmarks.startup_probe MODULE PATH BODY_JSON
"""

from __future__ import annotations

import asyncio
import importlib
import json
import logging
import sys
import time
from typing import Any


async def _request(handler: Any, path: str, body: bytes) -> tuple[float, int]:
    import azure.functions as func

    request = func.HttpRequest(method="POST", url=f"http://localhost{path}",
                               headers={"Content-Type": "application/json"}, body=body)
    start = time.perf_counter()
    response = await handler(request, None)
    return (time.perf_counter() - start) * 1000, response.status_code


def main() -> None:
    # The adapter logs a traceback when asyncio.run() cancels its lifespan task at exit; not part of the figures.
    logging.getLogger("azure.functions.AsgiMiddleware").setLevel(logging.CRITICAL)
    module_name, path, body = sys.argv[1], sys.argv[2], sys.argv[3].encode()
    start = time.perf_counter()
    module = importlib.import_module(module_name)
    import_s = time.perf_counter() - start

    handler = module.app.get_functions()[0].get_user_function()  # get_functions: once per app object

    async def both() -> tuple[tuple[float, int], tuple[float, int]]:
        return await _request(handler, path, body), await _request(handler, path, body)

    (first_ms, first_status), (second_ms, second_status) = asyncio.run(both())
    print(json.dumps({"import_s": import_s, "first_request_ms": first_ms, "second_request_ms": second_ms,
                      "statuses": [first_status, second_status]}))


if __name__ == "__main__":
    main()
