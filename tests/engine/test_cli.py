"""The `interlock` command line contract: exit codes, located validation problems, the
JSON it prints and what it records. Subprocess tests run the installed entry point."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from engine.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
INTERLOCK = Path(sys.executable).parent / "interlock"
SCHEMA_FILE = ROOT / "resources" / "schema" / "workflow.schema.json"

slow = pytest.mark.slow

GOOD = """\
version: 1
metadata: {name: cli contract}
inputs:
  - {name: name, type: string, default: world}
  - {name: n, type: integer, default: 2}
  - {name: items, type: array, default: [a, b]}
nodes:
  - {id: name, kind: input}
  - {id: n, kind: input}
  - {id: items, kind: input}
  - {id: greet, kind: template, config: {template: "hello {{ in }}"}}
  - id: route
    kind: branch
    config:
      cases: [{port: many, when: "in > 1"}]
      default: one
  - {id: many, kind: template, config: {template: "many:{{ in }}"}}
  - {id: one, kind: template, config: {template: "one:{{ in }}"}}
  - {id: pick, kind: join, config: {inputs: [a, b], mode: any}}
  - id: each
    kind: map
    config:
      template: {kind: template, config: {template: "<{{ in }}>"}}
  - {id: greeting, kind: output}
  - {id: count, kind: output}
  - {id: wrapped, kind: output}
edges:
  - {source: name.value, target: greet.in}
  - {source: greet.text, target: greeting.value}
  - {source: n.value, target: route.in}
  - {source: route.many, target: many.in}
  - {source: route.one, target: one.in}
  - {source: many.text, target: pick.a}
  - {source: one.text, target: pick.b}
  - {source: pick.value, target: count.value}
  - {source: items.value, target: each.items}
  - {source: each.results, target: wrapped.value}
"""
GOOD_OUTPUTS = {"greeting": "hello world", "count": "many:2", "wrapped": ["<a>", "<b>"]}
UPSTREAM_OF_ROUTE = {"name", "n", "items", "greet", "greeting", "each", "wrapped"}

FAILING = """\
version: 1
metadata: {name: fails}
nodes:
  - {id: start, kind: template, config: {template: "go", inputs: []}}
  - id: gate
    kind: branch
    config:
      cases: [{port: never, when: "false"}]
  - {id: after, kind: output}
edges:
  - {source: start.text, target: gate.in}
  - {source: gate.never, target: after.value}
"""


# ---- helpers ---------------------------------------------------------------------------


def where(text: str, needle: str) -> tuple[int, int]:
    """1-based line and column of the first `needle` in `text`."""
    index = text.index(needle)
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


@dataclass
class Cli:
    """Runs `interlock` in a subprocess with its data dir and default db in `home`."""

    home: Path

    @property
    def db(self) -> Path:
        return self.home / "interlock.db"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["INTERLOCK_DATA_DIR"] = str(self.home / "data")
        env["INTERLOCK_DB"] = str(self.db)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        return env

    def __call__(self, *args: str | Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(INTERLOCK), *map(str, args)],
            cwd=self.home,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=60,
        )

    def ok(self, *args: str | Path) -> Any:
        """Run a `--json` command that must succeed; its parsed stdout."""
        done = self(*args)
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr
        return json.loads(done.stdout)

    def write(self, name: str, text: str) -> Path:
        path = self.home / name
        path.write_text(text, encoding="utf-8")
        return path


def refused(done: subprocess.CompletedProcess[str], message: str) -> None:
    """A user error: exit 2, a clear message on stderr, no traceback, no JSON."""
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


def stored_runs(db: Path) -> list[str]:
    if not db.exists():
        return []
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
        return [row[0] for row in connection.execute("SELECT run_id FROM runs")]


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path)


@dataclass(frozen=True)
class DoneRun:
    cli: Cli
    workflow: Path
    summary: dict[str, Any]


@pytest.fixture(scope="module")
def done_run(tmp_path_factory: pytest.TempPathFactory) -> DoneRun:
    """One finished run of GOOD in its own store, shared by the read-only tests."""
    cli = Cli(tmp_path_factory.mktemp("cli-done"))
    workflow = cli.write("good.interlock.yaml", GOOD)
    return DoneRun(cli, workflow, cli.ok("run", workflow, "--json", "--quiet"))


# ---- validate and schema: in process ---------------------------------------------------

INVALID = [
    pytest.param(
        "version: 1\nmetadata: {name: bad\nnodes: []\n",
        ": []",  # where the parser gives up on the unclosed mapping
        "YAML syntax error",
        id="yaml-syntax",
    ),
    pytest.param(
        "version: 1\nmetadata:\n  name: bad\n  colour: red\nnodes: []\n",
        "colour",
        "metadata.colour: not a known setting: remove it or check its spelling",
        id="unknown-key",
    ),
    pytest.param(
        "version: 1\nmetadata: {name: bad}\npolicy:\n  max_parallelism: 0\n",
        "max_parallelism",
        "should be 1 or more, but is 0",
        id="out-of-range",
    ),
    pytest.param(
        "version: 1\nmetadata: {name: bad}\nnodes:\n  - {id: a, kind: input}\n"
        "  - {id: b, kind: nosuchkind}\n",
        "kind: nosuchkind",
        "unknown node kind 'nosuchkind'",
        id="unknown-kind",
    ),
    pytest.param(
        "version: 1\nmetadata: {name: bad}\nnodes:\n"
        "  - id: t\n    kind: template\n    config:\n      template: '{{ in '\n"
        "edges: []\n",
        "config:",  # kind checks point at the node's config block
        "node 't': template error",
        id="template-syntax",
    ),
    pytest.param(
        "version: 1\nmetadata: {name: bad}\nnodes:\n  - {id: a, kind: input}\n"
        "edges:\n  - {source: a.value, target: ghost.in}\n",
        "target: ghost",
        "no node 'ghost'",
        id="edge-to-nowhere",
    ),
    pytest.param(
        "version: 1\nmetadata: {name: bad}\nnodes:\n"
        "  - {id: a, kind: template, config: {template: x}}\n"
        "  - {id: b, kind: template, config: {template: y}}\n"
        "edges:\n  - {source: a.text, target: b.in}\n  - {source: b.text, target: a.in}\n",
        "{id: a",
        "cycle: a -> b -> a",
        id="cycle",
    ),
]


def test_validate_accepts_a_valid_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "good.interlock.yaml"
    path.write_text(GOOD, encoding="utf-8")
    assert main(["validate", str(path)]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"{path}: valid (12 nodes)" in captured.err


@pytest.mark.parametrize(("text", "needle", "message"), INVALID)
def test_validate_points_at_the_offending_yaml(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, needle: str, message: str
) -> None:
    path = tmp_path / "bad.interlock.yaml"
    path.write_text(text, encoding="utf-8")
    assert main(["validate", str(path)]) == 2
    lines = capsys.readouterr().out.splitlines()
    line, col = where(text, needle)
    expected = f"{path}:{line}:{col}: "
    assert any(x.startswith(expected) and message in x for x in lines), (expected, lines)
    for x in lines:  # every problem is FILE:LINE:COL: message
        location, _, rest = x.partition(": ")
        file, row, column = location.rsplit(":", 2)
        assert file == str(path) and int(row) >= 1 and int(column) >= 1 and rest


PROMPT_WITHOUT_PORT = """\
version: 1
metadata: {name: prompt ports}
inputs:
  - {name: text, type: string}
nodes:
  - {id: text, kind: input}
  - id: ask
    kind: template
    config: {template: "{{ in }} in a {{ tone }} tone"}
  - {id: out, kind: output}
edges:
  - {source: text.value, target: ask.in}
  - {source: ask.text, target: out.value}
"""


def test_validate_warns_of_a_prompt_name_that_is_no_port(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same warning the app's Problems panel shows, at the prompt's line; still valid."""
    path = tmp_path / "ports.interlock.yaml"
    path.write_text(PROMPT_WITHOUT_PORT, encoding="utf-8")
    assert main(["validate", str(path)]) == 0
    captured = capsys.readouterr()
    line, col = where(PROMPT_WITHOUT_PORT, 'template: "{{')
    assert captured.out.splitlines() == [
        f"{path}:{line}:{col}: node 'ask': warning: the template uses "
        "{{ tone }}, which is not an input port; add it to the node's inputs"
    ]
    assert f"{path}: valid (3 nodes)" in captured.err


def test_schema_command_prints_the_committed_schema(capsys: pytest.CaptureFixture[str]) -> None:
    """Regenerate with `.venv/bin/interlock schema > resources/schema/workflow.schema.json`."""
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out) == json.loads(SCHEMA_FILE.read_text())


# ---- validate and schema: subprocess ---------------------------------------------------


@slow
def test_validate_exit_codes(cli: Cli) -> None:
    good = cli.write("good.interlock.yaml", GOOD)
    done = cli("validate", good)
    assert done.returncode == 0, done.stdout + done.stderr
    text = INVALID[3].values[0]
    assert isinstance(text, str)
    bad = cli.write("bad.interlock.yaml", text)
    done = cli("validate", bad)
    assert done.returncode == 2
    line, col = where(text, "kind: nosuchkind")
    assert f"{bad}:{line}:{col}: unknown node kind 'nosuchkind'" in done.stdout
    assert "Traceback" not in done.stderr


@slow
def test_schema_subprocess_matches_committed_file(cli: Cli) -> None:
    schema = cli.ok("schema")
    assert schema == json.loads(SCHEMA_FILE.read_text())
    assert {"template", "branch", "join", "map"} <= set(schema["x-node-kinds"])


# ---- run -------------------------------------------------------------------------------


@slow
def test_run_json_prints_the_summary(done_run: DoneRun) -> None:
    summary = done_run.summary
    assert {"run_id", "status", "outputs", "nodes", "tokens", "cost_usd", "duration_s"} <= set(
        summary
    )
    assert summary["status"] == "succeeded"
    assert summary["error"] is None
    assert summary["outputs"] == GOOD_OUTPUTS
    assert summary["nodes"]["one"] == "skipped"
    assert {s for n, s in summary["nodes"].items() if n != "one"} == {"succeeded"}
    assert len(summary["nodes"]) == 12
    assert summary["tokens"] == 0 and summary["cost_usd"] == 0.0
    assert isinstance(summary["duration_s"], float) and summary["duration_s"] >= 0
    assert stored_runs(done_run.cli.db) == [summary["run_id"]]


@slow
def test_failing_run_exits_1_and_show_has_the_error(cli: Cli) -> None:
    workflow = cli.write("fails.interlock.yaml", FAILING)
    done = cli("run", workflow, "--json", "--quiet")
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    summary = json.loads(done.stdout)
    assert summary["status"] == "failed"
    assert "gate" in summary["error"] and "no branch condition matched" in summary["error"]
    assert summary["nodes"]["gate"] == "failed"
    assert "after" not in summary["nodes"] or summary["nodes"]["after"] != "succeeded"

    shown = cli.ok("show", summary["run_id"], "--json")
    assert shown["status"] == "failed"
    assert "no branch condition matched" in shown["error"]
    gate = [a for a in shown["attempts"] if a["node_id"] == "gate"]
    assert len(gate) == 1
    assert gate[0]["status"] == "failed"
    assert gate[0]["error_class"] == "config"
    assert "no branch condition matched" in gate[0]["error"]
    assert gate[0]["started_at"] <= gate[0]["finished_at"]


@slow
@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("bogus=1", "unknown input 'bogus' (declared: name, n, items)"),
        ("n=abc", "input 'n' must be integer"),
        ('n="3"', "input 'n' must be integer, got str"),
        ("n", "--input takes NAME=VALUE, got 'n'"),
    ],
)
def test_bad_input_is_refused_and_nothing_recorded(cli: Cli, option: str, message: str) -> None:
    workflow = cli.write("good.interlock.yaml", GOOD)
    refused(cli("run", workflow, "--input", option, "--json"), message)
    assert stored_runs(cli.db) == []


@slow
def test_inputs_file_and_input_options_combine(cli: Cli) -> None:
    workflow = cli.write("good.interlock.yaml", GOOD)
    values = cli.write("inputs.json", json.dumps({"name": "file", "n": 1, "items": ["z"]}))
    summary = cli.ok("run", workflow, "--inputs-file", values, "-i", "name=cli", "--json", "-q")
    assert summary["outputs"] == {"greeting": "hello cli", "count": "one:1", "wrapped": ["<z>"]}
    assert summary["nodes"]["many"] == "skipped"


@slow
@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[1, 2]", "must hold a JSON object"),
        ("{not json", "cannot read inputs file"),
        (None, "cannot read inputs file"),
    ],
)
def test_bad_inputs_file_is_refused(cli: Cli, content: str | None, message: str) -> None:
    workflow = cli.write("good.interlock.yaml", GOOD)
    values = cli.home / "inputs.json"
    if content is not None:
        values.write_text(content, encoding="utf-8")
    refused(cli("run", workflow, "--inputs-file", values, "--json"), message)
    assert stored_runs(cli.db) == []


@slow
def test_invalid_workflow_is_not_run_and_nothing_recorded(cli: Cli) -> None:
    text = INVALID[5].values[0]
    assert isinstance(text, str)
    bad = cli.write("bad.interlock.yaml", text)
    done = cli("run", bad, "--json")
    line, col = where(text, "target: ghost")
    refused(done, f"{bad}:{line}:{col}: ")
    assert "no node 'ghost'" in done.stderr
    assert stored_runs(cli.db) == []


@slow
def test_db_option_overrides_the_default_store(cli: Cli) -> None:
    workflow = cli.write("good.interlock.yaml", GOOD)
    other = cli.home / "other.db"
    run_id = cli.ok("run", workflow, "--db", other, "--json", "-q")["run_id"]
    assert [r["run_id"] for r in cli.ok("runs", "--db", other, "--json")] == [run_id]
    assert cli.ok("runs", "--json") == []
    assert cli.db.exists()  # INTERLOCK_DB was used for the second `runs`


# ---- re-run from a node ------------------------------------------------------------------


@slow
def test_from_node_reuses_upstream_results(cli: Cli) -> None:
    workflow = cli.write("good.interlock.yaml", GOOD)
    first = cli.ok("run", workflow, "--json", "-q")
    # --no-cache: only the earlier run's results can make a node 'cached'.
    again = cli.ok(
        "run", workflow, "--from-node", "route", "--run", first["run_id"], "--no-cache", "--json"
    )
    assert again["run_id"] != first["run_id"]
    assert again["status"] == "succeeded"
    assert again["outputs"] == GOOD_OUTPUTS
    cached = {n for n, s in again["nodes"].items() if s == "cached"}
    assert cached == UPSTREAM_OF_ROUTE
    assert again["nodes"]["route"] == again["nodes"]["many"] == "succeeded"
    assert again["nodes"]["one"] == "skipped"

    with sqlite3.connect(f"file:{cli.db}?mode=ro", uri=True) as connection:
        rows = connection.execute(
            "SELECT node_id, data_json FROM events WHERE run_id = ? AND type = 'node_cached'",
            (again["run_id"],),
        ).fetchall()
    assert {node for node, _ in rows} == UPSTREAM_OF_ROUTE
    assert {json.loads(data)["source"] for _, data in rows} == {first["run_id"]}

    shown = cli.ok("show", again["run_id"], "--json")
    statuses = {a["node_id"]: a["status"] for a in shown["attempts"]}
    assert {n for n, s in statuses.items() if s == "cached"} == UPSTREAM_OF_ROUTE


@slow
@pytest.mark.parametrize("given", [("--from-node", "route"), ("--run", "someid")])
def test_from_node_and_run_go_together(cli: Cli, given: tuple[str, str]) -> None:
    workflow = cli.write("good.interlock.yaml", GOOD)
    refused(cli("run", workflow, *given, "--json"), "--from-node and --run go together")
    assert stored_runs(cli.db) == []


@slow
def test_from_node_refuses_new_inputs(done_run: DoneRun, tmp_path: Path) -> None:
    """Reused results came from the earlier run's inputs; new ones would be silently lost."""
    cli = Cli(tmp_path)
    values = cli.write("inputs.json", json.dumps({"n": 1}))
    db = done_run.cli.db
    run_id = done_run.summary["run_id"]
    base = ("run", done_run.workflow, "--from-node", "route", "--run", run_id, "--db", db)
    message = "--from-node re-runs with the inputs of --run"
    refused(cli(*base, "--input", "n=1"), message)
    refused(cli(*base, "--inputs-file", values), message)
    assert stored_runs(db) == [run_id]


@slow
def test_from_node_refuses_unknown_node_and_run(done_run: DoneRun, tmp_path: Path) -> None:
    cli = Cli(tmp_path)
    db = done_run.cli.db
    run_id = done_run.summary["run_id"]
    refused(
        cli("run", done_run.workflow, "--from-node", "ghost", "--run", run_id, "--db", db),
        "workflow has no node 'ghost'",
    )
    refused(
        cli("run", done_run.workflow, "--from-node", "route", "--run", "nope", "--db", db),
        "no run 'nope'",
    )
    assert stored_runs(db) == [run_id]


# ---- runs and show -----------------------------------------------------------------------


@slow
def test_runs_json_lists_the_run(done_run: DoneRun) -> None:
    runs = done_run.cli.ok("runs", "--json")
    assert [r["run_id"] for r in runs] == [done_run.summary["run_id"]]
    (run,) = runs
    assert run["status"] == "succeeded"
    assert run["workflow_name"] == "cli contract"
    assert run["outputs"] == GOOD_OUTPUTS
    assert run["inputs"] == {"name": "world", "n": 2, "items": ["a", "b"]}
    assert run["workflow_path"] == str(done_run.workflow.resolve())


@slow
def test_show_json_has_attempts_with_timings(done_run: DoneRun) -> None:
    shown = done_run.cli.ok("show", done_run.summary["run_id"], "--json")
    assert shown["run_id"] == done_run.summary["run_id"]
    assert shown["status"] == "succeeded"
    assert shown["outputs"] == GOOD_OUTPUTS
    attempts = {a["node_id"]: a for a in shown["attempts"]}
    assert set(attempts) == set(done_run.summary["nodes"])
    for node_id, attempt in attempts.items():
        assert attempt["attempt"] == 1
        assert attempt["status"] == done_run.summary["nodes"][node_id]
        assert attempt["error"] is None
        assert attempt["started_at"] <= attempt["finished_at"]
    assert attempts["greet"]["kind"] == "template"
    assert attempts["greet"]["outputs"] == {"text": "hello world"}


@slow
def test_show_unknown_run_exits_2(cli: Cli) -> None:
    refused(cli("show", "no-such-run", "--json"), "no run 'no-such-run'")


LOOP_AND_BRANCH = """\
version: 1
metadata: {name: Shout until long}
inputs: [{name: word, default: hey}]
nodes:
  - {id: word, kind: input}
  - id: shout
    kind: loop
    config:
      template: {kind: template, config: {template: '{{ in }}!'}}
      max_iterations: 5
      until: text | length >= 6
  - id: size
    kind: branch
    config:
      cases: [{port: long, when: value | length > 100}]
      default: short
  - {id: long_one, kind: output}
  - {id: short_one, kind: output}
  - {id: rounds, kind: output}
edges:
  - {source: word.value, target: shout.in}
  - {source: shout.value, target: size.in}
  - {source: size.long, target: long_one.value}
  - {source: size.short, target: short_one.value}
  - {source: shout.iterations, target: rounds.value}
"""


def test_a_loop_and_a_skipped_output_through_the_cli(cli: Cli) -> None:
    workflow = cli.write("loop.interlock.yaml", LOOP_AND_BRANCH)
    assert cli("validate", workflow).returncode == 0
    summary = cli.ok("run", workflow, "--json", "--quiet")
    assert summary["status"] == "succeeded"
    assert summary["outputs"] == {"long_one": None, "short_one": "hey!!!", "rounds": 3}
    shown = cli.ok("show", summary["run_id"], "--json")
    assert shown["output_states"]["long_one"] == "skipped"
    text = cli("show", summary["run_id"]).stdout
    assert "output long_one: null (skipped)" in text
    assert 'output short_one: "hey!!!"\n' in text


CACHED = """\
version: 1
metadata: {name: Greet}
inputs: [{name: who, default: ana}]
nodes:
  - {id: who, kind: input}
  - {id: greet, kind: template, config: {template: 'hello {{ in }}'}}
  - {id: out, kind: output}
edges:
  - {source: who.value, target: greet.in}
  - {source: greet.text, target: out.value}
"""


def test_show_names_the_run_a_cached_result_came_from_and_cache_clear_forgets(cli: Cli) -> None:
    workflow = cli.write("greet.interlock.yaml", CACHED)
    first = cli.ok("run", workflow, "--json", "--quiet")
    second = cli.ok("run", workflow, "--json", "--quiet")
    assert second["nodes"]["greet"] == "cached"
    text = cli("show", second["run_id"]).stdout
    assert "greet                #1 cached" in text and f"(from run {first['run_id']})" in text
    assert cli.ok("cache", "clear", "--json") == {"cleared": 1}
    third = cli.ok("run", workflow, "--json", "--quiet")
    assert third["nodes"]["greet"] == "succeeded"


CHILD = """\
version: 1
metadata: {name: Wrap}
inputs: [{name: item}]
nodes:
  - {id: item, kind: input}
  - {id: wrap, kind: template, config: {template: '<{{ in }}>'}}
  - {id: res, kind: output}
edges:
  - {source: item.value, target: wrap.in}
  - {source: wrap.text, target: res.value}
"""

PARENT = """\
version: 1
metadata: {name: Wrap each}
inputs: [{name: xs, type: array, default: [a, b]}]
nodes:
  - {id: xs, kind: input}
  - {id: each, kind: map, config: {workflow: child.interlock.yaml, result_port: res}}
  - {id: out, kind: output}
edges:
  - {source: xs.value, target: each.items}
  - {source: each.results, target: out.value}
"""


def test_show_and_reports_name_a_runs_child_runs(cli: Cli) -> None:
    cli.write("child.interlock.yaml", CHILD)
    workflow = cli.write("parent.interlock.yaml", PARENT)
    summary = cli.ok("run", workflow, "--json", "--quiet")
    assert summary["outputs"] == {"out": ["<a>", "<b>"]}
    shown = cli.ok("show", summary["run_id"], "--json")
    assert [(c["label"], c["status"]) for c in shown["children"]] == [
        ("each[0]", "succeeded"),
        ("each[1]", "succeeded"),
    ]
    text = cli("show", summary["run_id"]).stdout
    first = shown["children"][0]["run_id"]
    assert f"child each[0]: succeeded  (interlock show {first})" in text
    child = cli.ok("show", first, "--json")
    assert child["parent_run_id"] == summary["run_id"]
    markdown = cli("report", summary["run_id"], "--format", "md").stdout
    assert f"| Child run each[0] | succeeded: `{first}` |" in markdown
