"""`python -m labkit_runner`: run the fine-tuning job described by the environment."""

import sys

from .runner import main

sys.exit(main())
