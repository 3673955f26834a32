"""``python -m derivations [topic ...]``: run every registered check and print one table.

Exit status 0 when every check passed, 1 when any failed.

``python -m derivations grade <exercise-id> <file.py>``: grade the answer in ``file.py`` (a
function named as the exercise's signature, or ``answer``: a function, a SymPy expression or a
string) and print the grade; exit status 0 when it is correct, 1 when it is not, 2 when the
file cannot be run or holds no answer.
"""

from __future__ import annotations

import argparse
import sys

from .symbolic.topics import TOPICS, all_checks
from .verify import text_table


def grade_main(argv: list[str]) -> int:
    """``python -m derivations grade <exercise-id> <file.py>``."""
    import runpy

    from . import exercises

    parser = argparse.ArgumentParser(prog="python -m derivations grade",
                                     description="grade the answer to an exercise")
    parser.add_argument("exercise", help="an exercise's id, such as backprop.dX (the book's exercises page "
                                         "lists them all)")
    parser.add_argument("file", help="a Python file defining the answer")
    args = parser.parse_args(argv)
    exercise = exercises.find(args.exercise)
    if exercise is None:
        parser.error(f"unknown exercise {args.exercise!r}; the exercises are {', '.join(exercises.EXERCISES)}")
    try:
        namespace = runpy.run_path(args.file)
    except Exception as e:   # the reader's file: reported, not raised
        print(f"{args.file} could not be run: {type(e).__name__}: {e}", file=sys.stderr)
        return 2
    name = exercise.signature.split("(")[0] if exercise.kind == "numeric" else "answer"
    if name not in namespace and "answer" not in namespace:
        print(f"{args.file} defines neither {name} nor answer", file=sys.stderr)
        return 2
    result = exercises.grade(args.exercise, namespace.get(name, namespace.get("answer")))
    print(result)
    return 0 if result.correct else 1


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["grade"]:
        return grade_main(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m derivations", description=__doc__.split("\n")[0])
    parser.add_argument("topics", nargs="*", metavar="topic",
                        help=f"topics to check (default: all of {', '.join(TOPICS)})")
    args = parser.parse_args(argv)
    unknown = [t for t in args.topics if t not in TOPICS]
    if unknown:
        parser.error(f"unknown topic {unknown[0]!r}; the topics are {', '.join(TOPICS)}")
    checks = all_checks(args.topics or TOPICS)
    print(text_table(checks))
    failed = sum(not c.passed for c in checks)
    print(f"\n{len(checks) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
