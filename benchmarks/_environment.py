"""Helpers every benchmark script uses to record its results."""

import json
import subprocess
from pathlib import Path

from sklearn_lipnet.utils import machine_info

__all__ = [
    "RESULTS",
    "git_commit",
    "machine_info",
    "machine_markdown",
    "write_result",
]

RESULTS = Path(__file__).resolve().parent / "results"


def write_result(name, result, markdown):
    """Write ``results/<name>.json`` and ``results/<name>.md``; return paths."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    json_path = RESULTS / f"{name}.json"
    md_path = RESULTS / f"{name}.md"
    json_path.write_text(json.dumps(result, indent=2, default=str) + "\n")
    md_path.write_text(markdown.rstrip() + "\n")
    return json_path, md_path


def machine_markdown(info):
    lines = ["| | |", "| --- | --- |"]
    lines += [f"| {key} | {value} |" for key, value in info.items()]
    return "\n".join(lines)


def git_commit(revision="HEAD"):
    """Short hash of ``revision`` in this checkout, or None outside a git checkout."""
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", revision],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).resolve().parent,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
