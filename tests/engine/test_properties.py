"""Property-based tests: random valid graphs execute correctly; random files never crash
validation."""

from __future__ import annotations

import asyncio
import string
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.cli.main import main
from engine.runtime.engine import Engine
from engine.store.memory import MemoryRunStore
from engine.trace.events import NodeSkipped, NodeStarted, RunEvent
from engine.workflow.model import Workflow
from tests.support.kinds import make_registry

TERMINAL = {"node_succeeded", "node_failed", "node_skipped", "node_cached"}


@st.composite
def dags(draw: st.DrawFn) -> dict[str, Any]:
    count = draw(st.integers(min_value=1, max_value=18))
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, str]] = []
    out_port: dict[str, list[str]] = {}
    for j in range(count):
        node_id = f"n{j}"
        parents = draw(st.sets(st.integers(0, j - 1), max_size=3)) if j else set()
        ports = [f"p{k}" for k in range(len(parents))]
        kind = draw(
            st.sampled_from(["pass", "pass", "branch", "join"])
            if parents
            else st.sampled_from(["pass", "branch"])
        )
        for port, parent in zip(ports, sorted(parents), strict=True):
            source = f"n{parent}"
            edges.append(
                {
                    "source": f"{source}.{draw(st.sampled_from(out_port[source]))}",
                    "target": f"{node_id}.{port}",
                }
            )
        if kind == "branch":
            take = draw(st.sampled_from(["a", "b"]))
            config = {
                "inputs": ports,
                "cases": [{"port": "a", "when": "true" if take == "a" else "false"}],
                "default": "b",
            }
            nodes.append({"id": node_id, "kind": "branch", "config": config})
            out_port[node_id] = ["a", "b"]
        elif kind == "join":
            nodes.append(
                {"id": node_id, "kind": "join", "config": {"inputs": ports, "mode": "any"}}
            )
            out_port[node_id] = ["value"]
        else:
            nodes.append({"id": node_id, "kind": "test_sleep", "config": {"inputs": ports}})
            out_port[node_id] = ["out"]
    parallelism = draw(st.integers(1, 6))
    return {
        "version": 1,
        "metadata": {"name": "random"},
        "nodes": nodes,
        "edges": edges,
        "policy": {"max_parallelism": parallelism},
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dags())
def test_random_dags_run_every_node_once_in_topological_order(data: dict[str, Any]) -> None:
    workflow = Workflow.model_validate(data)
    events: list[RunEvent] = []
    result = asyncio.run(
        Engine(make_registry(), store=MemoryRunStore()).run(
            workflow, {}, subscribers=[events.append]
        )
    )
    assert result.status == "succeeded", result.error
    terminal: dict[str, int] = {}
    for event in events:
        if event.type in TERMINAL and event.node_id:
            assert event.node_id not in terminal, f"{event.node_id} finished twice"
            terminal[event.node_id] = event.seq
    assert set(terminal) == {n["id"] for n in data["nodes"]}
    started = [e for e in events if isinstance(e, NodeStarted)]
    assert len({s.node_id for s in started}) == len(started), "a node started twice"
    parents: dict[str, set[str]] = {}
    for edge in data["edges"]:
        parents.setdefault(edge["target"].split(".")[0], set()).add(edge["source"].split(".")[0])
    kinds = {n["id"]: n["kind"] for n in data["nodes"]}
    for s in started:
        assert s.node_id is not None
        ups = parents.get(s.node_id, set())
        if kinds[s.node_id] != "join":
            assert all(terminal[p] < s.seq for p in ups), f"{s.node_id} started before its inputs"
        else:
            assert any(terminal[p] < s.seq for p in ups)
    reasons = {e.node_id: e.reason for e in events if isinstance(e, NodeSkipped)}
    children: dict[str, set[str]] = {}
    for edge in data["edges"]:
        children.setdefault(edge["source"].split(".")[0], set()).add(edge["target"].split(".")[0])
    for node_id, state in result.nodes.items():
        if state != "skipped" or kinds[node_id] == "join":
            continue
        if reasons[node_id].startswith("no longer needed"):
            # Cancelled because a join went ahead without it: every consumer had started
            # (a join) or was no longer needed either.
            assert all(
                kinds[c] == "join" or reasons.get(c, "").startswith("no longer needed")
                for c in children[node_id]
            )
        else:
            assert any(
                result.nodes[p] in ("skipped",) or kinds[p] == "branch" for p in parents[node_id]
            )


yaml_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 5), st.text(string.printable, max_size=8)
)
yaml_values = st.recursive(
    yaml_scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "id",
                    "kind",
                    "nodes",
                    "edges",
                    "config",
                    "source",
                    "target",
                    "version",
                    "metadata",
                    "name",
                    "inputs",
                    "policy",
                    "x",
                ]
            ),
            children,
            max_size=4,
        )
    ),
    max_leaves=25,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=yaml_values, mangle=st.integers(0, 40), junk=st.text(max_size=6))
def test_random_files_give_validation_errors_never_a_traceback(
    tmp_path: Path, capsys: Any, value: Any, mangle: int, junk: str
) -> None:
    text = yaml.safe_dump({"version": 1, "metadata": {"name": "r"}, "nodes": value})
    if mangle:  # also break the YAML itself sometimes
        cut = mangle % (len(text) + 1)
        text = text[:cut] + junk + text[cut:]
    path = tmp_path / "random.interlock.yaml"
    path.write_text(text, encoding="utf-8")
    code = main(["validate", str(path)])
    out = capsys.readouterr().out
    assert code in (0, 2)
    if code == 2:
        lines = [line for line in out.splitlines() if line and ": warning: " not in line]
        assert lines and all(line.startswith(f"{path}:") for line in lines)
        for line in lines:
            _, lineno, col, _ = line[len(str(path)) :].split(":", 3)
            assert int(lineno) >= 1 and int(col) >= 1
