"""Scale out on Ray: map items, and the runs of a batch or an evaluation, run on cluster
workers while the scheduler, events, store, approvals and audit stay on the coordinating
machine. Ray is an optional extra
(`interlock[cluster]`), imported only when a cluster is started or connected to."""

from __future__ import annotations

from engine.cluster.connection import Cluster, ClusterError
from engine.cluster.executor import RayItems
from engine.cluster.placement import Placement
from engine.cluster.runs import RayRuns

__all__ = ["Cluster", "ClusterError", "Placement", "RayItems", "RayRuns"]
