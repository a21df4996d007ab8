"""`labkit-validate-dataset` (and workshop/datasets/validate_dataset.py): check JSONL datasets.

Every problem is printed as `file:line: what is wrong`. Exit status: 0 when every file is fine,
1 when a file has problems, 2 when the command line is wrong or a file is missing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .dataset import MIN_EXAMPLES_DEFAULT, DatasetError, load_conversations


def main(argv: list[str] | None = None) -> int:
    """Validate the files named on the command line; return the exit status."""
    parser = argparse.ArgumentParser(description="Validate JSONL chat datasets for labkit runs.")
    parser.add_argument("files", nargs="+", type=Path, help='JSONL files, one {"messages": [...]} per line')
    parser.add_argument(
        "--min-examples",
        type=int,
        default=MIN_EXAMPLES_DEFAULT,
        help="fewest examples a file must hold (default %(default)s)",
    )
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
        print(f"{path}: ok, {len(conversations)} examples")
    return status
