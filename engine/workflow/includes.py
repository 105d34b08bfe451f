"""Workflow files that include each other: the `workflow:` files of subworkflow and map
nodes, followed file by file to find a chain that comes back to a file already on it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from engine.errors import WorkflowLoadError
from engine.workflow.loader import load_workflow
from engine.workflow.model import Workflow

INCLUDING_KINDS = ("subworkflow", "map")
"""Node kinds whose `workflow` config names another workflow file, relative to theirs."""


def included_files(workflow: Workflow, base_dir: Path | None) -> Iterator[tuple[int, Path]]:
    """(node index, resolved file) for every node that runs another workflow file."""
    for i, node in enumerate(workflow.nodes):
        target = node.config.get("workflow")
        if node.kind in INCLUDING_KINDS and isinstance(target, str) and target:
            yield i, ((base_dir or Path.cwd()) / target).resolve()


class IncludeGraph:
    """Follows includes from one workflow; each file is read once per validation."""

    def __init__(self, root: Path | None) -> None:
        self.root = root.resolve() if root is not None else None
        self._children: dict[Path, list[Path]] = {}

    def children(self, file: Path) -> list[Path]:
        if file not in self._children:
            try:
                workflow = load_workflow(file).workflow
            except WorkflowLoadError:
                workflow = None  # unreadable children are reported by the node's own check
            self._children[file] = (
                [path for _, path in included_files(workflow, file.parent)] if workflow else []
            )
        return self._children[file]

    def cycle_from(self, start: Path) -> list[Path] | None:
        """The first chain from the root (when known) through `start` that reaches a file
        already on it, ending with that file; None when every path ends."""
        stack = [self.root, start] if self.root is not None else [start]
        if start == self.root:
            return stack
        done: set[Path] = set()
        return self._search(stack, done)

    def _search(self, stack: list[Path], done: set[Path]) -> list[Path] | None:
        for child in self.children(stack[-1]):
            if child in stack:
                return [*stack, child]
            if child in done:
                continue
            found = self._search([*stack, child], done)
            if found is not None:
                return found
        done.add(stack[-1])
        return None

    def describe(self, chain: list[Path], base_dir: Path | None) -> str:
        """`a.yaml -> b.yaml -> a.yaml`, each file relative to the including workflow's folder."""
        start = (base_dir or Path.cwd()).resolve()
        return " -> ".join(os.path.relpath(path, start) for path in chain)
