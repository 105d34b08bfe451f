"""Extra node kinds from outside the engine: the `interlock.node_kinds` entry-point group
and modules named in `INTERLOCK_NODE_KIND_MODULES` (comma-separated), each exposing
`register(registry)`. Workflow files can never name code; only the user's environment can."""

from __future__ import annotations

import importlib
import logging
import os
from importlib.metadata import entry_points

from engine.nodes.base import NodeRegistry

log = logging.getLogger(__name__)

ENV_VAR = "INTERLOCK_NODE_KIND_MODULES"


def load_plugins(registry: NodeRegistry) -> NodeRegistry:
    for entry in entry_points(group="interlock.node_kinds"):
        try:
            entry.load()(registry)
        except Exception as exc:  # one broken plugin must not break the app
            log.warning("node kind plugin %s failed to load: %s", entry.name, exc)
    for name in filter(None, (m.strip() for m in os.environ.get(ENV_VAR, "").split(","))):
        module = importlib.import_module(name)
        module.register(registry)
    return registry
