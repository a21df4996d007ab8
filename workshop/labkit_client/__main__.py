"""`python -m labkit_client ...`: the same as the `labkit-run` command."""

from .cli import main

raise SystemExit(main())
