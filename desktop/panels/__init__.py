"""Docks over the run store: pending approvals, past runs, and the trace of a run."""
