#!/usr/bin/env python3
"""Check a workshop dataset before you train on it.

    python datasets/validate_dataset.py my-data.jsonl [more.jsonl ...] [--min-examples 10]

Every problem is printed as `file:line: what is wrong`. Exit status: 0 when every file is
fine, 1 when a file has problems, 2 when the command line is wrong or a file is missing.
"""

import sys
from pathlib import Path

# In the repository the packages sit beside this folder; in the images they are installed.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from labkit_runner.validate_cli import main

if __name__ == "__main__":
    sys.exit(main())
