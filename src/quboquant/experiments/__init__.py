"""Resumable experiment sweeps: a kill-safe result store, the sweep runner and the report."""
from .report import build_report, gains_table
from .store import KEY_FIELDS, CellKey, ResultStore, StoreWarning
from .sweep import SweepPlan, run_sweep

__all__ = ["KEY_FIELDS", "CellKey", "ResultStore", "StoreWarning", "SweepPlan", "run_sweep",
           "build_report", "gains_table"]
