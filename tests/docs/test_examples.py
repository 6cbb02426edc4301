"""Every Python example in README.md and docs/*.md runs as written.

The blocks of one page run in order in one namespace, like a reader pasting
them into one session, in a fresh working folder so that files they write
land nowhere else. A block that must not run (a cluster address that does
not exist here) is written as ```python no-run.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BLOCK = re.compile(r"^```python( no-run)?\n(.*?)^```", re.DOTALL | re.MULTILINE)


def python_blocks(page):
    """``(line number, code)`` of each runnable Python block of ``page``."""
    text = page.read_text()
    return [
        (text[: match.start()].count("\n") + 1, match.group(2))
        for match in BLOCK.finditer(text)
        if not match.group(1)
    ]


ALL_PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
PAGES = [page for page in ALL_PAGES if python_blocks(page)]


def test_pages_have_examples():
    assert ROOT / "README.md" in PAGES
    assert sum(len(python_blocks(page)) for page in PAGES) >= 10


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_examples_run(page, tmp_path, monkeypatch):
    blocks = python_blocks(page)
    monkeypatch.chdir(tmp_path)
    # Examples that plot must not open windows.
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace = {"__name__": "__main__"}
    for line, code in blocks:
        try:
            exec(compile(code, f"{page.name}:{line}", "exec"), namespace)
        except Exception as exc:
            raise AssertionError(
                f"The example at {page.relative_to(ROOT)}:{line} fails: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
