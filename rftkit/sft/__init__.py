"""From episodes to a supervised fine-tuning (SFT) set: label, build, inspect, check, submit.

    label.py    rewards and reasons on captured episodes (a grader's, or a person's, which wins)
    build.py    the chat fine-tuning rows with tool calls, from the good episodes
    tokens.py   o200k_base token counts (bpe-openai)
    info.py     what a user checks before paying (`dataset-info`)
    checks.py   the supervised file's rules (`validate`, the stand-in)
    job.py      supervised job bodies on models Azure fine-tunes with tool calling
    standin.py  the stand-in's supervised files and jobs (an honest dry run: nothing is trained)
    notebook.py what `notebooks/episodes-to-sft.ipynb` calls
"""
