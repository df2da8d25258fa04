"""Moved to ``benchmarks/paper_study``: this runs ``python -m benchmarks.paper_study``."""

import runpy
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root
runpy.run_module("benchmarks.paper_study", run_name="__main__", alter_sys=True)
