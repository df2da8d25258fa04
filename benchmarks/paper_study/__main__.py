"""``python -m benchmarks.paper_study``: run the study (see :mod:`benchmarks.paper_study`)."""

import sys

from .run import main

sys.exit(main())
