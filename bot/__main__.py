"""`python -m bot` is `coach`."""

import sys

from bot.cli import main

sys.exit(main())
