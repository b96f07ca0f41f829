"""`python -m bot` is the `vakt` command."""

import sys

from bot.cli import main

sys.exit(main())
