"""The README's runnable examples run: every ```python block of the sections below."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
SECTIONS = ("## Your own data and model", "## Logging to TensorBoard and MLflow")


def _blocks(heading: str) -> list[str]:
    text = README.read_text()
    if heading not in text:
        return []
    section = text.split(heading, 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


@pytest.mark.parametrize("heading", SECTIONS)
def test_the_section_has_an_example_and_it_runs(heading, tmp_path, monkeypatch):
    blocks = _blocks(heading)
    assert blocks, f"README section {heading!r} has no python example"
    monkeypatch.chdir(tmp_path)  # whatever an example writes stays in a temp folder
    for code in blocks:
        exec(compile(code, f"README {heading}", "exec"), {"__name__": "__readme__"})
