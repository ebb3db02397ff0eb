"""A local dependency of the sample project: on ``sys.path`` via langgraph.json."""

import os


def greeting(name: str) -> str:
    punctuation = os.environ["REWIND_SAMPLE_PUNCTUATION"]
    return f"{os.environ['REWIND_SAMPLE_GREETING']}, {name}{punctuation}"
