"""One notebook per chapter with its graded exercises: the statement, an answer stub and the
grading call, as an nbformat-4 document (plain JSON, no dependency: the book's build writes them
beside the HTML, ``notebooks/exercises-<chapter>.ipynb``)."""

from __future__ import annotations

import json

from . import CHAPTERS, Exercise, chapter_exercises

#: Where the book's HTML keeps the notebooks, relative to its root.
FOLDER = "notebooks"


def chapters() -> list[str]:
    """The chapters that have graded exercises, in the book's order."""
    return [c for c in CHAPTERS if chapter_exercises(c)]


def filename(chapter: str) -> str:
    """The notebook's path in the built book: notebooks/exercises-<chapter>.ipynb."""
    return f"{FOLDER}/exercises-{chapter}.ipynb"


def _cell(kind: str, text: str) -> dict:
    cell = {"cell_type": kind, "metadata": {}, "source": text.splitlines(keepends=True)}
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def _stub(e: Exercise) -> str:
    """The answer cell the reader fills in."""
    if e.kind == "symbolic":
        first = next(iter(e.symbols), "x")
        return f'answer = ""   # {e.signature}, as a string SymPy parses (e.g. "{first}**2 + 1")'
    if e.kind == "number":
        return f"answer = None   # {e.signature}: a number, or a string SymPy evaluates (e.g. \"2**-10\")"
    name, rest = e.signature.split("(", 1)
    arguments = rest.split(")", 1)[0]
    return (f"import numpy as np\n\n\ndef {name}({arguments}):\n"
            f"    raise NotImplementedError(\"your answer: {e.signature}\")")


def notebook(chapter: str) -> dict:
    """The chapter's exercises as a notebook: per exercise its statement and hint, an answer
    stub, and a cell that grades the answer."""
    exercises = chapter_exercises(chapter) if chapter in CHAPTERS else []
    if not exercises:
        raise ValueError(f"no graded exercise in chapter {chapter!r}; the chapters are {', '.join(chapters())}")
    cells = [_cell("markdown", f"# Exercises: {chapter}\n\nWrite each answer in the cell after its "
                               "statement, then run the grading cell. It needs the book's package "
                               "(`pip install -e .` in a clone of the book).")]
    for e in exercises:
        name = e.signature.split("(")[0] if e.kind == "numeric" else "answer"
        cells += [_cell("markdown", f"## `{e.id}`: {e.title}\n\n{e.statement}\n\n*Hint:* {e.hint}"),
                  _cell("code", _stub(e)),
                  _cell("code", f"from derivations.exercises import grade\n\nprint(grade(\"{e.id}\", {name}))")]
    for k, cell in enumerate(cells):
        cell["id"] = f"cell-{k}"            # nbformat 4.5 requires an id per cell; stable ones
    return {"nbformat": 4, "nbformat_minor": 5, "cells": cells,
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                         "language_info": {"name": "python"}}}


def notebook_json(chapter: str) -> str:
    """:func:`notebook` as the text of an .ipynb file."""
    return json.dumps(notebook(chapter), indent=1, ensure_ascii=False) + "\n"
