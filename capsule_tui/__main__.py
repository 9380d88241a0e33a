"""`python -m capsule_tui` runs the `capsule-tui` command."""

import sys

from .cli import main

sys.exit(main())
