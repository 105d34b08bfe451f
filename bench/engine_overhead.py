"""Engine overhead: microseconds per no-op node through Interlock (no store, SQLite store)
and LangGraph (no checkpointer, InMemorySaver, SqliteSaver) on the same DAGs, in one
invocation, with the Interlock/LangGraph ratios.

    bash bench/run.sh                      # sets up .venv-bench (LangGraph) and runs this
    .venv/bin/python bench/engine_overhead.py --only chain-1000 --profile interlock

Without LangGraph installed only the Interlock columns are measured.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import importlib.metadata
import itertools
import json
import operator
import os
import platform
import pstats
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, TypedDict

from pydantic import Field

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.nodes import builtin_registry
from engine.nodes.base import KindConfig, NodeContext, NodeKind, NodeResult, PortSpec
from engine.runtime.engine import Engine
from engine.runtime.graph import compile_workflow
from engine.store.sqlite import SqliteRunStore
from engine.workflow.loader import workflow_hash
from engine.workflow.model import Workflow

# ---- the DAGs --------------------------------------------------------------------------


@dataclass(frozen=True)
class Dag:
    name: str
    nodes: list[str]
    edges: list[tuple[str, str]]

    def preds(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {n: [] for n in self.nodes}
        for source, target in self.edges:
            found[target].append(source)
        return found


def chain(n: int) -> Dag:
    nodes = [f"n{i}" for i in range(n)]
    return Dag(f"chain-{n}", nodes, list(itertools.pairwise(nodes)))


def fan(width: int, name: str) -> Dag:
    """A source, `width` parallel nodes, and a sink that waits for all of them."""
    middle = [f"w{i}" for i in range(width)]
    edges = [("src", m) for m in middle] + [(m, "sink") for m in middle]
    return Dag(name, ["src", *middle, "sink"], edges)


DAGS = [chain(3), fan(5, "fanout-5"), chain(100), chain(1000), fan(1000, "wide-1000")]


# ---- Interlock ---------------------------------------------------------------------------


class NoopConfig(KindConfig):
    inputs: list[str] = Field(default_factory=list)


_OUT = {"out": 0}


class NoopKind(NodeKind[NoopConfig]):
    """Does nothing: what is measured is the engine around it."""

    name = "bench_noop"
    description = "no-op"
    config_model = NoopConfig
    cacheable = False

    def input_ports(self, config: NoopConfig) -> list[PortSpec]:
        return [PortSpec(name) for name in config.inputs]

    def output_ports(self, config: NoopConfig) -> list[PortSpec]:
        return [PortSpec("out")]

    async def run(self, ctx: NodeContext, config: NoopConfig, inputs: dict[str, Any]) -> NodeResult:
        return NodeResult(_OUT)


def interlock_workflow(dag: Dag) -> Workflow:
    preds = dag.preds()
    nodes = [
        {"id": n, "kind": "bench_noop", "config": {"inputs": [f"i{k}" for k in range(len(p))]}}
        for n, p in preds.items()
    ]
    edges = [
        {"source": f"{source}.out", "target": f"{target}.i{preds[target].index(source)}"}
        for source, target in dag.edges
    ]
    return Workflow.model_validate(
        {
            "version": 1,
            "metadata": {"name": dag.name},
            "nodes": nodes,
            "edges": edges,
            "policy": {"max_parallelism": 256},
        }
    )


def _nothing() -> None:
    pass


@dataclass
class Case:
    """One DAG through one engine: `invoke(k)` runs the DAG k times."""

    invoke: Callable[[int], None]
    close: Callable[[], None]


def interlock_case(dag: Dag, store_path: Path | None) -> Case:
    registry = builtin_registry()
    registry.register(NoopKind())
    store = SqliteRunStore(store_path) if store_path is not None else None
    engine = Engine(registry, store=store)
    # Compiled and hashed once, as LangGraph's graph is compiled once outside the timing.
    workflow = engine.prepare(interlock_workflow(dag))
    runner = asyncio.Runner()

    async def many(k: int) -> None:
        for _ in range(k):
            result = await engine.run(workflow)
            if result.status != "succeeded":
                raise RuntimeError(f"{dag.name}: {result.error}")

    def close() -> None:
        runner.close()
        if store is not None:
            store.close()

    return Case(lambda k: runner.run(many(k)), close)


# ---- LangGraph ---------------------------------------------------------------------------


class State(TypedDict):
    count: Annotated[int, operator.add]


def _noop(state: State) -> dict[str, int]:
    return {"count": 1}


def langgraph_case(dag: Dag, saver: str, durability: str) -> Case:
    from langgraph.graph import END, START, StateGraph

    builder = StateGraph(State)
    for node in dag.nodes:
        builder.add_node(node, _noop)
    for node, preds in dag.preds().items():
        if not preds:
            builder.add_edge(START, node)
        elif len(preds) == 1:
            builder.add_edge(preds[0], node)
        else:
            builder.add_edge(preds, node)  # waits for all of them
    sources = {s for s, _ in dag.edges}
    for node in dag.nodes:
        if node not in sources:
            builder.add_edge(node, END)
    checkpointer: Any = None
    close = _nothing
    if saver == "memory":
        from langgraph.checkpoint.memory import InMemorySaver

        checkpointer = InMemorySaver()
    elif saver == "sqlite":
        from langgraph.checkpoint.sqlite import SqliteSaver

        folder = tempfile.mkdtemp(prefix="bench-lg-")
        connection = sqlite3.connect(os.path.join(folder, "lg.db"), check_same_thread=False)
        checkpointer = SqliteSaver(connection)
        close = connection.close
    graph = builder.compile(checkpointer=checkpointer)
    counter = iter(range(10**9))
    options: dict[str, Any] = {"durability": durability} if checkpointer is not None else {}

    def invoke(k: int) -> None:
        for _ in range(k):
            config: dict[str, Any] = {"recursion_limit": len(dag.nodes) + 10}
            if checkpointer is not None:
                config["configurable"] = {"thread_id": f"t{next(counter)}"}
            out = graph.invoke({"count": 0}, config, **options)
            if out["count"] != len(dag.nodes):
                raise RuntimeError(f"{dag.name}: {out}")

    return Case(invoke, close)


def langgraph_version() -> str | None:
    try:
        return importlib.metadata.version("langgraph")
    except importlib.metadata.PackageNotFoundError:
        return None


# ---- measuring ---------------------------------------------------------------------------

VARIANTS = ["interlock", "interlock+sqlite", "langgraph", "langgraph+memory", "langgraph+sqlite"]


def make_case(variant: str, dag: Dag, folder: Path, durability: str) -> Case:
    if variant == "interlock":
        return interlock_case(dag, None)
    if variant == "interlock+sqlite":
        return interlock_case(dag, folder / f"{dag.name}.db")
    saver = variant.partition("+")[2] or "none"
    return langgraph_case(dag, saver, durability)


@dataclass
class Measurement:
    dag: str
    variant: str
    nodes: int
    runs_per_rep: int
    us_per_node: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.us_per_node)


def measure(dag: Dag, cases: dict[str, Case], reps: int, target: int) -> list[Measurement]:
    """Warm every case up, then `reps` rounds that time each case once, in turn (so a
    load change on the machine hits every variant alike); a timing covers enough runs
    to execute ~`target` nodes."""
    k = max(1, round(target / len(dag.nodes)))
    results = {v: Measurement(dag.name, v, len(dag.nodes), k) for v in cases}
    for case in cases.values():
        case.invoke(max(1, k // 4))
    for _ in range(reps):
        for variant, case in cases.items():
            gc.collect()
            started = time.perf_counter()
            case.invoke(k)
            elapsed = time.perf_counter() - started
            results[variant].us_per_node.append(elapsed / (k * len(dag.nodes)) * 1e6)
    return list(results.values())


def per_run_costs(dag: Dag, reps: int) -> dict[str, float]:
    """µs per node of the whole-workflow steps `Engine.run` repeats on every run."""
    registry = builtin_registry()
    registry.register(NoopKind())
    workflow = interlock_workflow(dag)
    steps = {
        "workflow_hash": lambda: workflow_hash(workflow),
        "compile_workflow": lambda: compile_workflow(workflow, registry),
    }
    costs = {}
    for name, step in steps.items():
        step()
        times = []
        for _ in range(reps):
            started = time.perf_counter()
            step()
            times.append(time.perf_counter() - started)
        costs[name] = statistics.median(times) / len(dag.nodes) * 1e6
    return costs


def profile(case: Case, dag: Dag, top: int) -> None:
    case.invoke(1)
    profiler = cProfile.Profile()
    profiler.enable()
    case.invoke(max(1, round(3000 / len(dag.nodes))))
    profiler.disable()
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.strip_dirs().sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)


# ---- reporting ---------------------------------------------------------------------------


def ratio(a: Measurement | None, b: Measurement | None) -> str:
    return f"{a.median / b.median:.2f}x" if a and b else "n/a"


def table(results: dict[tuple[str, str], Measurement], variants: list[str]) -> str:
    heads = ["DAG", "nodes", *variants, "IL/LG", "IL+sqlite/LG+sqlite", "IL+sqlite/LG"]
    lines = ["| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
    for dag in DAGS:
        got = {v: results.get((dag.name, v)) for v in VARIANTS}
        if not any(got.values()):
            continue
        cells = [dag.name, str(len(dag.nodes))]
        cells += [f"{got[v].median:.1f}" if got[v] else "n/a" for v in variants]
        cells += [
            ratio(got["interlock"], got["langgraph"]),
            ratio(got["interlock+sqlite"], got["langgraph+sqlite"]),
            ratio(got["interlock+sqlite"], got["langgraph"]),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def environment(durability: str) -> str:
    lg = langgraph_version()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{time.strftime('%Y-%m-%d')}, Python {platform.python_version()}, "
        f"{platform.machine()} {platform.system()}, {os.cpu_count()} CPUs (load {load}), "
        f"interlock {importlib.metadata.version('interlock')}, "
        f"langgraph {lg or 'not installed'} (checkpoint durability={durability})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5, help="timed repetitions (median)")
    parser.add_argument("--target", type=int, default=3000, help="nodes executed per rep")
    parser.add_argument("--only", action="append", help="DAG name(s) to run")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument(
        "--durability",
        default="sync",
        choices=["sync", "async", "exit"],
        help="LangGraph checkpoint durability; sync matches Interlock (results committed "
        "before dependants start)",
    )
    parser.add_argument("--profile", metavar="VARIANT", help="cProfile this variant instead")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--json", metavar="FILE", help="also write raw timings as JSON")
    args = parser.parse_args(argv)

    variants = [v for v in args.variants.split(",") if v]
    if langgraph_version() is None:
        variants = [v for v in variants if not v.startswith("langgraph")]
    dags = [d for d in DAGS if not args.only or d.name in args.only]
    folder = Path(tempfile.mkdtemp(prefix="bench-interlock-"))

    if args.profile:
        for dag in dags:
            print(f"\n===== profile {args.profile} on {dag.name}")
            case = make_case(args.profile, dag, folder, args.durability)
            try:
                profile(case, dag, args.top)
            finally:
                case.close()
        return 0

    print(environment(args.durability))
    print(f"µs per node, median of {args.reps} reps of ~{args.target} node executions each")
    results: dict[tuple[str, str], Measurement] = {}
    for dag in dags:
        cases = {v: make_case(v, dag, folder, args.durability) for v in variants}
        try:
            measured = measure(dag, cases, args.reps, args.target)
        finally:
            for case in cases.values():
                case.close()
        for m in measured:
            results[(dag.name, m.variant)] = m
            spread = f"{min(m.us_per_node):.1f}..{max(m.us_per_node):.1f}"
            line = f"  {dag.name:<10} {m.variant:<17} {m.median:9.1f} µs/node  ({spread})"
            print(line, flush=True)
    print()
    print(table(results, variants))
    print("\nPer-run whole-workflow steps inside Engine.run, µs per node (in the columns above):")
    for dag in dags:
        costs = per_run_costs(dag, args.reps)
        print(f"  {dag.name:<10} " + "  ".join(f"{k} {v:.1f}" for k, v in costs.items()))
    if args.json:
        raw = [m.__dict__ | {"median": m.median} for m in results.values()]
        Path(args.json).write_text(json.dumps(raw, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
