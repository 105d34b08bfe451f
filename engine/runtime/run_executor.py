"""Where whole runs execute: the `RunExecutor` seam for the rows of a batch
(`interlock run --inputs-file` with a list) and of an evaluation, and `LocalRuns`, which
runs them with the caller's engine in this process (the default). `engine.cluster` adds
one that sends them to Ray workers."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from engine.runtime.engine import Engine, PreparedWorkflow, RunResult
from engine.trace.events import Subscriber
from engine.workflow.model import Workflow


class RunExecutor(Protocol):
    """Runs one top-level run of `workflow`. The store, events and approvals stay with
    `engine`'s caller: a run that ran elsewhere is recorded in `engine.store` as if it had
    run here, and its result handed back."""

    name: str
    """local, ray."""

    @property
    def at_once(self) -> int:
        """How many runs are worth starting together (a batch's gate)."""
        ...

    async def run(
        self,
        engine: Engine,
        workflow: Workflow | PreparedWorkflow,
        inputs: dict[str, Any],
        *,
        base_dir: Path | None,
        workflow_path: str | None,
        subscribers: Sequence[Subscriber] = (),
    ) -> RunResult:
        """Run `workflow` on `inputs` to completion (RunError: bad inputs)."""
        ...


class LocalRuns:
    """Runs run in this process, on the caller's engine."""

    name = "local"
    at_once = 1
    """One run at a time: each run already uses the machine's cores."""

    async def run(
        self,
        engine: Engine,
        workflow: Workflow | PreparedWorkflow,
        inputs: dict[str, Any],
        *,
        base_dir: Path | None,
        workflow_path: str | None,
        subscribers: Sequence[Subscriber] = (),
    ) -> RunResult:
        return await engine.run(
            workflow,
            inputs,
            base_dir=base_dir,
            workflow_path=workflow_path,
            subscribers=subscribers,
        )


LOCAL_RUNS = LocalRuns()
