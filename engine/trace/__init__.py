"""The run's trace: its typed events, run and node statuses, and the one fold of events
into state. Below the runtime, so the store, approvals, nodes and reports read a run's
record without importing what runs it."""
