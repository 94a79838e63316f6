"""Token counts of chat fine-tuning rows with the `o200k_base` encoding (gpt-4o and gpt-4.1 models).

`bpe-openai` ships the encoding's tables inside the package (tiktoken downloads them at first use). The count
follows OpenAI's cookbook for chat messages — each message's role, content and tool calls plus a few tokens of
framing, and the `tools` definitions as JSON — so it is an estimate of what the service bills, not its number.
"""

from __future__ import annotations

import functools
import json
from typing import Any

ENCODING = "o200k_base"
PER_MESSAGE = 3  # <|start|>role ... <|end|> framing, as the cookbook counts it
PER_REPLY = 3  # the assistant reply's priming


@functools.lru_cache(maxsize=1)
def _encoding() -> Any:
    import bpe_openai

    return bpe_openai.get_encoding(ENCODING)


CHUNK_CHARS = 100_000  # bpe-openai refuses an input of more than 200,000 tokens in one call


def count_text(text: str) -> int:
    """Tokens of `text`; a long text is counted in pieces cut at whitespace (a token or so off per cut)."""
    total = 0
    while len(text) > CHUNK_CHARS:
        cut = max(text.rfind(" ", 0, CHUNK_CHARS), text.rfind("\n", 0, CHUNK_CHARS))
        cut = cut if cut > 0 else CHUNK_CHARS
        total += len(_encoding().encode(text[:cut]))
        text = text[cut:]
    return total + (len(_encoding().encode(text)) if text else 0)


def count_row(row: dict[str, Any]) -> int:
    """Tokens of one example: every message and the tool definitions."""
    total = PER_REPLY
    for message in row.get("messages") or []:
        if not isinstance(message, dict):
            continue
        total += PER_MESSAGE + count_text(str(message.get("role") or ""))
        content = message.get("content")
        if isinstance(content, str):
            total += count_text(content)
        elif content is not None:
            total += count_text(json.dumps(content, ensure_ascii=False))
        for call in message.get("tool_calls") or []:
            function = call.get("function") if isinstance(call, dict) else None
            if isinstance(function, dict):
                total += count_text(str(function.get("name") or "")) + count_text(str(function.get("arguments") or ""))
    if row.get("tools"):
        total += count_text(json.dumps(row["tools"], ensure_ascii=False))
    return total
