"""``python -m pytest_interactions.cli``: the ``pytest-interactions`` command."""

import sys

from pytest_interactions.cli._main import main

sys.exit(main())
