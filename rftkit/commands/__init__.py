"""One module per CLI command. Each defines `register(subparsers)` and sets `func` (args -> exit code).

Commands import their heavy dependencies inside `func`, so `python -m rftkit --help` stays fast.
"""
