"""``python -m sklearn_lipnet.cli``: the ``lipnet`` command."""

import sys

from ._main import main

sys.exit(main())
