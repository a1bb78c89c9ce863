"""`python -m setsmart` is the `setsmart` command."""

import sys

from setsmart.cli import main

sys.exit(main())
