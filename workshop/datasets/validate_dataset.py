#!/usr/bin/env python3
"""Check a workshop dataset before you train on it.

    python workshop/datasets/validate_dataset.py my-data.jsonl [more.jsonl ...] [--min-examples 10]

Every problem is printed as `file:line: what is wrong`. Exit status: 0 when every file is
fine, 1 when a file has problems, 2 when the command line is wrong or a file is missing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from labkit_runner.dataset import MIN_EXAMPLES_DEFAULT, DatasetError, load_conversations  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    """Validate the files named on the command line; return the exit status."""
    parser = argparse.ArgumentParser(description="Validate JSONL chat datasets for labkit runs.")
    parser.add_argument("files", nargs="+", type=Path, help="JSONL files, one {\"messages\": [...]} per line")
    parser.add_argument("--min-examples", type=int, default=MIN_EXAMPLES_DEFAULT, help="fewest examples a file must hold (default %(default)s)")
    args = parser.parse_args(argv)
    status = 0
    for path in args.files:
        if not path.is_file():
            print(f"{path}: no such file", file=sys.stderr)
            return 2
        try:
            conversations = load_conversations(path, args.min_examples)
        except DatasetError as error:
            for problem in error.problems:
                print(problem)
            status = 1
            continue
        turns = sum(1 for c in conversations for m in c if m["role"] == "assistant")
        print(f"{path}: ok, {len(conversations)} examples, {turns} assistant turns")
    return status


if __name__ == "__main__":
    sys.exit(main())
