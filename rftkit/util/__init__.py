"""Small plumbing shared by the commands: JSONL, headers, endpoint error messages, .env, progress, servers."""
