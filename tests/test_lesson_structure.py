"""Every lesson ``notebooks/NN_*.ipynb`` has the parts of the lesson spec that can be
checked mechanically, and ``notebooks/README.md`` (the course index) lists them all.

Rules (numbers as in the lesson spec):

1. top cell: ``# NN · Title``, ``**You will be able to:**`` with 2-4 bullets,
   ``**Before this:**`` (links to earlier lessons), ``**Time:** about N min on one core``;
2. every ``**Predict:**`` section (from a markdown line starting so, to the next one or
   the next ``## `` heading) has a code cell with an ``assert`` on the result;
3. no result numbers typed into prose (decimals, percentages), outside the top cell,
   the exercises and glossary lines;
7. ``## Exercises``: at least two tasks with ``<details><summary>Answer</summary>``, one
   with a widget;
8. ``## Recap`` with 3-5 bullets, and the last markdown line ``**Next:** [NN · Title](file)``
   naming the next lesson in number order (``README.md`` after the last one);
9. at least one glossary line ``> **Term**: definition.``;
10. stored without outputs.

A failure names the notebook, the cell index and the rule.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"


def _load_course_index():
    spec = importlib.util.spec_from_file_location("course_index", REPO / "tools" / "course_index.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


ci = _load_course_index()
LESSONS = ci.lesson_paths(NOTEBOOKS)

H2_RE = re.compile(r"^## \S", re.M)
PREDICT = "**Predict:**"
ASSERT_RE = re.compile(r"^\s*assert\b", re.M)
DECIMAL_RE = re.compile(r"\d+\.\d+")
PERCENT_RE = re.compile(r"\d+\s?%")
GLOSSARY_RE = re.compile(r"^> \*\*[^*\n]+\*\*: \S")
NEXT_RE = re.compile(r"^\*\*Next:\*\* \[([^\]]+)\]\(([^)\s]+)\)\s*$")
DETAILS_RE = re.compile(r"<details>\s*<summary>Answer</summary>(.+?)</details>", re.S)
WIDGET_RE = re.compile(r"widget|explorer|ow\.ui\.", re.I)
# A bullet in markdown, or a line of a string a code cell prints as a bullet
# (``"- ...``, ``f"- ...``, or a line inside a triple-quoted string).
MD_BULLET_RE = re.compile(r"^- \S", re.M)
CODE_BULLET_RE = re.compile(r"""(?:^\s*|[rRfFbBuU]{0,2}["'])- \S""", re.M)

Problem = tuple[int, str]  # (cell index, what is wrong)


def _read(path: Path) -> list:
    return nbformat.read(path, as_version=4).cells


def _is_heading(cell, text: str | None = None) -> bool:
    if cell.cell_type != "markdown":
        return False
    if text is None:
        return bool(H2_RE.search(cell.source))
    return any(line.strip() == text for line in cell.source.splitlines())


def _section(cells: list, start: int) -> range:
    """Cells after ``start`` up to the next ``## `` heading (exclusive)."""
    end = start + 1
    while end < len(cells) and not _is_heading(cells[end]):
        end += 1
    return range(start + 1, end)


def _heading_index(cells: list, text: str) -> int | None:
    return next((i for i, c in enumerate(cells) if _is_heading(c, text)), None)


def _is_predict(cell) -> bool:
    """A markdown cell with a line starting ``**Predict:**`` (after its heading, if any)."""
    return cell.cell_type == "markdown" and any(
        line.startswith(PREDICT) for line in cell.source.splitlines())


def _glossary_line(line: str) -> bool:
    return bool(GLOSSARY_RE.match(line))


# --- the rules ------------------------------------------------------------------------


def rule_1_top_cell(path: Path, cells: list) -> list[Problem]:
    if not cells or cells[0].cell_type != "markdown":
        return [(0, "cell 0 must be a markdown cell (title, objectives, prerequisites, time)")]
    top = ci.parse_top_cell(cells[0].source)
    problems = [(0, p) for p in top.problems]
    if top.number is not None and top.number != path.name[:2]:
        problems.append((0, f"the title says lesson {top.number}, the file {path.name[:2]}"))
    if top.before is not None and path.name[:2] != "00":
        links = ci.LINK_RE.findall(top.before)
        if not links:
            problems.append((0, "'**Before this:**' must link the earlier lessons, e.g. "
                                "[00 · Quickstart](00_quickstart.ipynb)"))
        for text, target in links:
            m = ci.LESSON_RE.match(target)
            if m is None or not (path.parent / target).is_file():
                problems.append((0, f"'**Before this:**' links [{text}]({target}), not an "
                                    "existing lesson"))
            elif target[:2] >= path.name[:2]:
                problems.append((0, f"'**Before this:**' links {target}, not an earlier lesson"))
    return problems


def rule_2_predict_then_assert(path: Path, cells: list) -> list[Problem]:
    starts = [i for i, c in enumerate(cells) if _is_predict(c)]
    if not starts:
        return [(0, f"no experiment: no markdown line starts with {PREDICT!r}")]
    problems = []
    for i in starts:
        end = i + 1
        while end < len(cells) and not _is_heading(cells[end]) and not _is_predict(cells[end]):
            end += 1
        code = [j for j in range(i + 1, end) if cells[j].cell_type == "code"]
        if not code:
            problems.append((i, f"{PREDICT} is not followed by the code that runs the experiment"))
        elif not any(ASSERT_RE.search(cells[j].source) for j in code):
            problems.append((i, f"the section of this {PREDICT} (cells {i}-{end - 1}) has no code "
                                "cell with an assert checking the result"))
    return problems


def rule_3_no_numbers_in_prose(path: Path, cells: list) -> list[Problem]:
    exempt = {0}
    exercises = _heading_index(cells, "## Exercises")
    if exercises is not None:
        exempt |= {exercises, *_section(cells, exercises)}
    problems = []
    for i, cell in enumerate(cells):
        if cell.cell_type != "markdown" or i in exempt:
            continue
        in_glossary = False
        for line in cell.source.splitlines():
            # a glossary entry: its first line and the quoted lines continuing it
            in_glossary = _glossary_line(line) or (in_glossary and line.startswith(">"))
            if in_glossary:
                continue
            found = DECIMAL_RE.findall(line) + PERCENT_RE.findall(line)
            if found:
                problems.append((i, f"a number typed into prose ({', '.join(found)}): print "
                                    f"it from computed values instead, in: {line.strip()[:80]!r}"))
    return problems


def rule_7_exercises(path: Path, cells: list) -> list[Problem]:
    start = _heading_index(cells, "## Exercises")
    if start is None:
        return [(0, "no '## Exercises' heading")]
    exercises = []
    problems = []
    for j in [start, *_section(cells, start)]:  # the heading cell may hold the first one
        cell = cells[j]
        if cell.cell_type != "markdown" or "<details>" not in cell.source:
            continue
        answers = DETAILS_RE.findall(cell.source)
        task = cell.source.split("<details>", 1)[0].strip()
        if not answers or not all(a.strip() for a in answers):
            problems.append((j, "an exercise needs <details><summary>Answer</summary> answer "
                                "</details>"))
        elif not task:
            problems.append((j, "an exercise cell starts with the task, then its <details>"))
        else:
            exercises.append(j)
    if len(exercises) < 2:
        problems.append((start, f"'## Exercises' has {len(exercises)} exercises with an "
                                "answer, at least 2 needed"))
    elif not any(WIDGET_RE.search(cells[j].source) for j in exercises):
        problems.append((start, "no exercise uses a widget (the Explorer or a lesson widget)"))
    return problems


def rule_8_recap_and_next(path: Path, cells: list) -> list[Problem]:
    problems = []
    start = _heading_index(cells, "## Recap")
    if start is None:
        problems.append((0, "no '## Recap' heading"))
    else:
        section = [start, *_section(cells, start)]
        bullets = sum(
            len((MD_BULLET_RE if cells[j].cell_type == "markdown" else CODE_BULLET_RE).findall(
                cells[j].source))
            for j in section
        )  # fmt: skip
        if not 3 <= bullets <= 5:
            problems.append((start, f"'## Recap' has {bullets} '- ' bullets, 3-5 needed"))
    markdown = [i for i, c in enumerate(cells) if c.cell_type == "markdown"]
    last = markdown[-1] if markdown else 0
    lines = [line for line in cells[last].source.splitlines() if line.strip()] if markdown else []
    m = NEXT_RE.match(lines[-1].strip()) if lines else None
    later = [p for p in ci.lesson_paths(path.parent) if p.name[:2] > path.name[:2]]
    expected = later[0].name if later else ci.INDEX_NAME
    if m is None:
        problems.append((last, f"the last line of the last markdown cell must be "
                               f"'**Next:** [NN · Title]({expected})'"))
        return problems
    text, target = m.groups()
    if not (path.parent / target).is_file():
        problems.append((last, f"**Next:** links {target}, which does not exist (the next "
                               f"existing lesson is {expected})"))
    elif target != expected:
        problems.append((last, f"**Next:** links {target}; the next lesson is {expected}"))
    elif target != ci.INDEX_NAME:
        heading = ci.read_lesson(path.parent / target).top.heading
        if heading is not None and text != heading:
            problems.append((last, f"**Next:** shows [{text}], the lesson's title is "
                                   f"[{heading}]"))
    return problems


def rule_9_glossary(path: Path, cells: list) -> list[Problem]:
    for cell in cells:
        if cell.cell_type == "markdown" and any(map(_glossary_line, cell.source.splitlines())):
            return []
    return [(0, "no glossary line '> **Term**: definition.' where a term first appears")]


def rule_10_no_outputs(path: Path, cells: list) -> list[Problem]:
    return [
        (i, "stored with outputs or an execution count: clear them before saving")
        for i, c in enumerate(cells)
        if c.cell_type == "code" and (c.get("outputs") or c.get("execution_count") is not None)
    ]


RULES: dict[str, Callable[[Path, list], list[Problem]]] = {
    "1 top cell": rule_1_top_cell,
    "2 predict then assert": rule_2_predict_then_assert,
    "3 no numbers in prose": rule_3_no_numbers_in_prose,
    "7 exercises": rule_7_exercises,
    "8 recap and next": rule_8_recap_and_next,
    "9 glossary": rule_9_glossary,
    "10 no outputs": rule_10_no_outputs,
}


def _report(path: Path, rule: str, problems: list[Problem]) -> str:
    return "\n".join(f"notebooks/{path.name} cell {i}: rule {rule}: {what}"
                     for i, what in problems)


@pytest.mark.parametrize("rule", list(RULES))
@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_lesson_follows_the_spec(path, rule):
    problems = RULES[rule](path, _read(path))
    assert not problems, _report(path, rule, problems)


# --- the checks themselves can fail ------------------------------------------------------


def _nb(*cells: tuple[str, str]) -> list:
    make = {"md": nbformat.v4.new_markdown_cell, "code": nbformat.v4.new_code_cell}
    return [make[kind](text) for kind, text in cells]


GOOD_TOP = ("# 01 · Test\n**You will be able to:**\n- one\n- two\n"
            "**Before this:** [00 · Quickstart](00_quickstart.ipynb)\n"
            "**Time:** about 1 min on one core")


def test_the_rules_catch_what_they_are_for(tmp_path):
    (tmp_path / "00_quickstart.ipynb").write_text("{}")
    path = tmp_path / "01_test.ipynb"
    assert rule_1_top_cell(path, _nb(("md", GOOD_TOP))) == []
    bad_top = GOOD_TOP.replace("- two\n", "").replace("about 1 min", "1 min")
    assert {w.split()[0] for _, w in rule_1_top_cell(path, _nb(("md", bad_top)))} == {
        "**You", "no"}
    predict = _nb(("md", "**Predict:** which?"), ("code", "x = 1"), ("md", "## Next part"),
                  ("code", "assert x"))
    assert rule_2_predict_then_assert(path, predict) == [
        (0, "the section of this **Predict:** (cells 0-1) has no code cell with an assert "
            "checking the result")]
    predict[1].source = "x = 1\nassert x == 1, x"
    assert rule_2_predict_then_assert(path, predict) == []
    prose = _nb(("md", GOOD_TOP), ("md", "It reaches 0.97 (97 %)."),
                ("md", "> **Accuracy**: 0.9 means\n> nine in ten, 90 %.\n\nIt is 0.5."),
                ("md", "## Exercises"),
                ("md", "Why 0.97?"))
    assert [i for i, _ in rule_3_no_numbers_in_prose(path, prose)] == [1, 2]
    answer = "<details><summary>Answer</summary> because </details>"
    ex = _nb(("md", "## Exercises"), ("md", f"Task one.\n{answer}"),
             ("md", f"Use the Explorer.\n{answer}"), ("md", "## Recap"))
    assert rule_7_exercises(path, ex) == []
    ex[2].source = f"Task two.\n{answer}"
    assert rule_7_exercises(path, ex) == [(0, "no exercise uses a widget (the Explorer or a "
                                              "lesson widget)")]
    recap = _nb(("md", "## Recap\n- a\n- b"), ("code", 'print(f"- c {x}")'),
                ("md", "**Next:** [the course index](README.md)"))
    (tmp_path / "README.md").write_text("")
    assert rule_8_recap_and_next(path, recap) == []
    (tmp_path / "02_later.ipynb").write_text(
        nbformat.writes(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
            "# 02 · Later")])))
    assert [w for _, w in rule_8_recap_and_next(path, recap)] == [
        "**Next:** links README.md; the next lesson is 02_later.ipynb"]
    recap[2].source = "**Next:** [02 · Sooner](02_later.ipynb)"
    assert [w for _, w in rule_8_recap_and_next(path, recap)] == [
        "**Next:** shows [02 · Sooner], the lesson's title is [02 · Later]"]
    assert rule_9_glossary(path, _nb(("md", "> **Term** a definition"))) != []
    assert rule_9_glossary(path, _nb(("md", "text\n> **Term**: a definition."))) == []


# --- the course index ---------------------------------------------------------------------


def test_course_index_is_up_to_date():
    index = NOTEBOOKS / ci.INDEX_NAME
    assert index.is_file(), "notebooks/README.md missing: run python tools/course_index.py"
    assert index.read_text(encoding="utf-8") == ci.render_index(NOTEBOOKS), (
        "notebooks/README.md is out of date: run python tools/course_index.py")


@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_course_index_links_the_lesson_with_its_time(path):
    rows = [line for line in (NOTEBOOKS / ci.INDEX_NAME).read_text(encoding="utf-8").splitlines()
            if f"]({path.name})" in line and line.startswith("|")]
    assert len(rows) == 1, f"notebooks/README.md: {len(rows)} rows link {path.name}, not 1"
    minutes = ci.read_lesson(path).top.minutes
    assert minutes is not None, f"notebooks/{path.name} cell 0: rule 1 top cell: no time"
    assert f"| about {minutes} min |" in rows[0], (
        f"notebooks/README.md shows another time for {path.name} than its top cell "
        f"(about {minutes} min): run python tools/course_index.py")
