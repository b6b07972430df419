"""Write ``notebooks/README.md``, the course index, from each lesson's top cell.

Every lesson ``notebooks/NN_*.ipynb`` opens with a markdown cell of the same shape
(the lesson spec, checked by ``tests/test_lesson_structure.py``)::

    # NN · Title
    **You will be able to:**
    - objective
    - objective
    **Before this:** [00 · Quickstart](00_quickstart.ipynb)
    **Time:** about N min on one core

The index lists the lessons in number order (the teaching order) with their objectives
and time, so it never disagrees with the lessons: edit a lesson's top cell, then run::

    python tools/course_index.py            # rewrite notebooks/README.md
    python tools/course_index.py --check    # exit 1 if it is out of date (what CI checks)

``tools/export_html.py --all`` builds the static site's ``index.html`` from the same text.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
INDEX_NAME = "README.md"
LESSON_RE = re.compile(r"^(\d\d)_\w+\.ipynb$")
TITLE_RE = re.compile(r"^# (\d\d) · (\S.*?)\s*$")
OBJECTIVES_LINE = "**You will be able to:**"
BEFORE_RE = re.compile(r"^\*\*Before this:\*\*\s*(.*?)\s*$")
TIME_RE = re.compile(r"^\*\*Time:\*\* about (\d+) min on one core\b")
LINK_RE = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")


@dataclass
class TopCell:
    """What a lesson's top cell says; ``problems`` lists what does not follow the spec."""

    number: str | None = None
    title: str | None = None  # without the number: "Quickstart"
    objectives: list[str] = field(default_factory=list)
    before: str | None = None  # the text after **Before this:**
    minutes: int | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def heading(self) -> str | None:
        """``"NN · Title"``, the text a link to this lesson shows."""
        return f"{self.number} · {self.title}" if self.title else None


@dataclass
class Lesson:
    path: Path
    top: TopCell

    @property
    def number(self) -> str:
        return self.path.name[:2]


def lesson_paths(folder: Path = NOTEBOOKS) -> list[Path]:
    """The lessons in ``folder`` (``NN_name.ipynb``), in number order."""
    return sorted(p for p in Path(folder).iterdir() if LESSON_RE.match(p.name))


def _objectives(lines: list[str], start: int) -> list[str]:
    """The ``- `` bullets right after line ``start`` (indented lines continue a bullet)."""
    bullets: list[str] = []
    for line in lines[start + 1 :]:
        if line.startswith("- "):
            bullets.append(line[2:].strip())
        elif bullets and line.startswith((" ", "\t")) and line.strip():
            bullets[-1] += " " + line.strip()
        elif not bullets and not line.strip():
            continue  # a blank line between the label and its first bullet
        else:
            break
    return bullets


def parse_top_cell(source: str) -> TopCell:
    """Read the parts of a lesson's top cell (markdown source).

    Example
    -------
    >>> top = parse_top_cell("# 01 · Learning rate\\n**You will be able to:**\\n- a\\n- b\\n"
    ...                      "**Before this:** [00 · Quickstart](00_quickstart.ipynb)\\n"
    ...                      "**Time:** about 1 min on one core")
    >>> top.heading, top.objectives, top.minutes, top.problems
    ('01 · Learning rate', ['a', 'b'], 1, [])
    """
    top = TopCell()
    lines = source.splitlines()
    first = lines[0] if lines else ""
    m = TITLE_RE.match(first)
    if m:
        top.number, top.title = m.group(1), m.group(2)
    else:
        top.problems.append(f"the first line must be '# NN · Title', found {first!r}")
    if OBJECTIVES_LINE in (line.strip() for line in lines):
        start = [line.strip() for line in lines].index(OBJECTIVES_LINE)
        top.objectives = _objectives(lines, start)
        if not 2 <= len(top.objectives) <= 4:
            top.problems.append(
                f"{OBJECTIVES_LINE} must be followed by 2-4 '- ' bullets, found "
                f"{len(top.objectives)}"
            )
    else:
        top.problems.append(f"no line {OBJECTIVES_LINE!r}")
    for line in lines:
        if (b := BEFORE_RE.match(line.strip())) is not None:
            top.before = b.group(1)
        if (t := TIME_RE.match(line.strip())) is not None:
            top.minutes = int(t.group(1))
    if top.before is None:
        top.problems.append("no line starting '**Before this:**'")
    elif not top.before:
        top.problems.append("'**Before this:**' says nothing (links to earlier lessons, or "
                            "what to know first)")
    if top.minutes is None:
        top.problems.append("no line '**Time:** about N min on one core'")
    return top


def read_lesson(path: Path) -> Lesson:
    nb = nbformat.read(path, as_version=4)
    if not nb.cells or nb.cells[0].cell_type != "markdown":
        return Lesson(path, TopCell(problems=["cell 0 is not a markdown cell"]))
    return Lesson(path, parse_top_cell(nb.cells[0].source))


def _cell(text: str) -> str:
    """Markdown text safe inside a table cell."""
    return text.replace("|", "\\|").strip()


def render_index(folder: Path = NOTEBOOKS, paths: list[Path] | None = None) -> str:
    """The text of the course index for the lessons in ``folder`` (or only ``paths``)."""
    lessons = [read_lesson(p) for p in (lesson_paths(folder) if paths is None else paths)]
    total = sum(lesson.top.minutes or 0 for lesson in lessons)
    rows = []
    for lesson in lessons:
        top, name = lesson.top, lesson.path.name
        title = top.heading or f"{lesson.number} · {lesson.path.stem[3:].replace('_', ' ')}"
        objectives = "<br>".join(f"• {_cell(o)}" for o in top.objectives) or "(not stated yet)"
        minutes = f"about {top.minutes} min" if top.minutes is not None else "(not measured yet)"
        rows.append(f"| [{_cell(title)}]({name}) | {objectives} | {minutes} |")
    first = lessons[0].path.name if lessons else "00_quickstart.ipynb"
    return "\n".join([
        "# The optwidgets course",
        "",
        "<!-- Generated by tools/course_index.py from each lesson's top cell: edit the "
        "lessons, then run `python tools/course_index.py`. -->",
        "",
        f"{len(lessons)} lessons in teaching order, about {total} min in all on one CPU "
        "core (Binder's included). Each lesson states what you will be able to do, asks you "
        "to predict each result before it runs, checks its claims against its own "
        "measurements, and ends with exercises (answers included) and a recap.",
        "",
        "| lesson | you will be able to | time on one core |",
        "|---|---|---|",
        *rows,
        "",
        "## Opening the lessons",
        "",
        f"- In JupyterLab: `optwidgets lab` opens [{first}]({first}) with the kit "
        "installed (`optwidgets lab --notebook NN_name.ipynb` opens another one); "
        "`optwidgets lessons --dir FOLDER` copies the lessons to a folder of your own.",
        "- On Binder: the badge of the project's README starts JupyterLab on these notebooks "
        "in a browser, nothing to install.",
        "- As static pages (no kernel, no network): `python tools/export_html.py --all -o "
        "site/` in a checkout runs every lesson and writes linked pages, `site/index.html` "
        "first; a live widget there links to Binder and to `optwidgets lab`.",
        "",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notebooks", type=Path, default=NOTEBOOKS, help="lessons folder")
    parser.add_argument("--check", action="store_true",
                        help="only check that the index is up to date (exit 1 if not)")
    args = parser.parse_args(argv)
    index = args.notebooks / INDEX_NAME
    text = render_index(args.notebooks)
    for lesson in map(read_lesson, lesson_paths(args.notebooks)):
        for problem in lesson.top.problems:
            print(f"{lesson.path.name} cell 0: {problem}", file=sys.stderr)
    current = index.read_text(encoding="utf-8") if index.exists() else None
    if args.check:
        if current != text:
            print(f"{index} is out of date: run python tools/course_index.py", file=sys.stderr)
            return 1
        return 0
    if current != text:
        index.write_text(text, encoding="utf-8")
        print(f"{index}: {len(lesson_paths(args.notebooks))} lessons")
    return 0


if __name__ == "__main__":
    sys.exit(main())
