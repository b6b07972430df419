"""``python -m optwidgets`` runs the command line."""

import sys

from optwidgets.cli import main

sys.exit(main())
