"""``python -m derivations [topic ...]``: run every registered check and print one table.

Exit status 0 when every check passed, 1 when any failed.
"""

from __future__ import annotations

import argparse
import sys

from .symbolic.topics import TOPICS, all_checks
from .verify import text_table


def main(argv: list[str] | None = None) -> int:
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
