"""``python -m plugin.cli`` is the ``fpcds`` command."""

import sys

from . import main

sys.exit(main())
