"""`interlock validate` on files it must refuse: retry classes, output names, workflow
files that include each other, branch conditions, every node of a cycle."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.cli.main import main
from engine.nodes import builtin_registry
from engine.runtime.validate import validate
from engine.workflow.loader import load_workflow

HEAD = "version: 1\nmetadata: {name: checks}\n"


def at(text: str, needle: str, nth: int = 0) -> str:
    """`LINE:COL` (1-based) of the nth occurrence of `needle` in `text`."""
    index = -1
    for _ in range(nth + 1):
        index = text.index(needle, index + 1)
    line = text.count("\n", 0, index) + 1
    return f"{line}:{index - (text.rfind(chr(10), 0, index) + 1) + 1}"


def run_validate(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    code = main(["validate", str(path)])
    lines = capsys.readouterr().out.splitlines()
    return code, [line.removeprefix(f"{path}:") for line in lines]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# ---- retry_on ---------------------------------------------------------------------------

RETRY = HEAD + (
    "inputs: [{name: x}]\n"
    "nodes:\n"
    "  - {id: x, kind: input}\n"
    "  - id: o\n"
    "    kind: output\n"
    "    policy: {retry: {max_attempts: 3, retry_on: [transient, timout, http, any]}}\n"
    "edges:\n  - {source: x.value, target: o.value}\n"
)


def test_unknown_retry_class_is_reported_where_it_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, lines = run_validate(write(tmp_path / "wf.yaml", RETRY), capsys)
    assert code == 2
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{at(RETRY, 'timout')}: node 'o': retry_on 'timout' is not")
    assert "known: transient, timeout" in lines[0]


def test_every_known_retry_class_is_accepted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from engine.errors import RETRY_CLASSES

    text = RETRY.replace("transient, timout, http, any", ", ".join(RETRY_CLASSES))
    assert run_validate(write(tmp_path / "wf.yaml", text), capsys) == (0, [])


# ---- output names -----------------------------------------------------------------------

OUTPUTS = HEAD + (
    "inputs: [{name: x}]\n"
    "nodes:\n"
    "  - {id: x, kind: input}\n"
    "  - {id: first, kind: output, config: {name: answer}}\n"
    "  - {id: answer, kind: output}\n"
    "  - {id: third, kind: output, config: {name: answer}}\n"
    "  - {id: other, kind: output, config: {name: x}}\n"
    "edges:\n"
    "  - {source: x.value, target: first.value}\n"
    "  - {source: x.value, target: answer.value}\n"
    "  - {source: x.value, target: third.value}\n"
    "  - {source: x.value, target: other.value}\n"
)


def test_two_outputs_publishing_one_name_are_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, lines = run_validate(write(tmp_path / "wf.yaml", OUTPUTS), capsys)
    assert code == 2
    assert lines == [
        f"{at(OUTPUTS, 'id: answer')}: output node 'answer' publishes 'answer', "
        "which node 'first' already publishes",
        f"{at(OUTPUTS, 'name: answer', 1)}: output node 'third' publishes 'answer', "
        "which node 'first' already publishes",
    ]


# ---- workflow files that include each other ---------------------------------------------


def subworkflow_file(name: str, target: str) -> str:
    return HEAD.replace("checks", name) + (
        "inputs: [{name: x}]\n"
        "nodes:\n"
        "  - {id: x, kind: input}\n"
        "  - id: sub\n"
        "    kind: subworkflow\n"
        f"    config: {{workflow: {target}, inputs: [x]}}\n"
        "  - {id: o, kind: output}\n"
        "edges:\n"
        "  - {source: x.value, target: sub.x}\n"
        "  - {source: sub.outputs, target: o.value}\n"
    )


def map_file(name: str, target: str) -> str:
    return HEAD.replace("checks", name) + (
        "inputs: [{name: item, type: array}]\n"
        "nodes:\n"
        "  - {id: item, kind: input}\n"
        f"  - {{id: each, kind: map, config: {{workflow: {target}}}}}\n"
        "  - {id: o, kind: output}\n"
        "edges:\n"
        "  - {source: item.value, target: each.items}\n"
        "  - {source: each.results, target: o.value}\n"
    )


def test_a_chain_of_workflow_files_back_to_this_one_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = subworkflow_file("a", "sub/b.yaml")
    a = write(tmp_path / "a.yaml", text)
    write(tmp_path / "sub" / "b.yaml", map_file("b", "../a.yaml"))
    code, lines = run_validate(a, capsys)
    assert code == 2
    assert lines == [
        f"{at(text, 'workflow: sub')}: node 'sub': workflow files include each other: "
        "a.yaml -> sub/b.yaml -> a.yaml"
    ]


def test_a_workflow_file_running_itself_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = map_file("self", "./self.yaml")
    code, lines = run_validate(write(tmp_path / "self.yaml", text), capsys)
    assert code == 2
    assert lines == [
        f"{at(text, 'workflow: ./')}: node 'each': workflow files include each other: "
        "self.yaml -> self.yaml"
    ]


def test_a_loop_further_down_is_reported_with_the_path_to_it(tmp_path: Path) -> None:
    write(tmp_path / "b.yaml", subworkflow_file("b", "c.yaml"))
    write(tmp_path / "c.yaml", subworkflow_file("c", "b.yaml"))
    loaded = load_workflow(write(tmp_path / "a.yaml", subworkflow_file("a", "b.yaml")))
    report = validate(loaded.workflow, builtin_registry(), loaded.locations, tmp_path)
    assert [p.message for p in report.errors] == [
        "node 'sub': workflow files include each other: b.yaml -> c.yaml -> b.yaml"
    ]


def test_workflow_files_that_end_are_accepted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    leaf = HEAD + (
        "inputs: [{name: x}]\nnodes:\n  - {id: x, kind: input}\n  - {id: o, kind: output}\n"
        "edges:\n  - {source: x.value, target: o.value}\n"
    )
    write(tmp_path / "leaf.yaml", leaf)
    write(tmp_path / "mid.yaml", map_file("mid", "leaf.yaml"))
    write(tmp_path / "also.yaml", subworkflow_file("also", "leaf.yaml"))
    top = subworkflow_file("top", "mid.yaml").replace(
        "  - {id: o, kind: output}\n",
        "  - {id: o, kind: output}\n"
        "  - {id: again, kind: subworkflow, config: {workflow: also.yaml, inputs: [x]}}\n"
        "  - {id: o2, kind: output}\n",
    )
    top += "  - {source: x.value, target: again.x}\n  - {source: again.outputs, target: o2.value}\n"
    assert run_validate(write(tmp_path / "top.yaml", top), capsys) == (0, [])


# ---- branch conditions ------------------------------------------------------------------


def branch_file(*conditions: str) -> str:
    cases = "\n".join(f"        - {{port: p{i}, when: {c!r}}}" for i, c in enumerate(conditions))
    return HEAD + (
        "inputs: [{name: x}, {name: y}]\n"
        "nodes:\n"
        "  - {id: x, kind: input}\n"
        "  - {id: y, kind: input}\n"
        "  - id: route\n"
        "    kind: branch\n"
        "    config:\n"
        "      inputs: [score, label]\n"
        "      default: other\n"
        f"      cases:\n{cases}\n"
        "  - {id: o, kind: output}\n"
        "edges:\n"
        "  - {source: x.value, target: route.score}\n"
        "  - {source: y.value, target: route.label}\n"
        "  - {source: route.other, target: o.value}\n"
    )


def test_branch_condition_reading_an_unknown_name_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    typo = "scor > 0.5 and label == 'spam'"
    text = branch_file(typo, "score > 0.9")
    code, lines = run_validate(write(tmp_path / "wf.yaml", text), capsys)
    assert code == 2
    assert lines == [
        f"{at(text, f'when: {typo!r}')}: node 'route': case 'p0': `when` reads 'scor', "
        "which is not an input (known: value, inputs, score, label)"
    ]


def test_branch_conditions_over_ports_value_inputs_and_globals_are_accepted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = branch_file(
        "score > 0.5 and label == 'spam'",
        "value.score > 1",
        "inputs['label'] in ['a', 'b']",
        "len(label) > max(1, min(2, 3)) and 2 in range(3)",
    )
    assert run_validate(write(tmp_path / "wf.yaml", text), capsys) == (0, [])


# ---- cycles -----------------------------------------------------------------------------

CYCLE = HEAD + (
    "nodes:\n"
    "  - {id: a, kind: template, config: {template: x}}\n"
    "  - {id: b, kind: template, config: {template: y}}\n"
    "  - {id: c, kind: template, config: {template: z}}\n"
    "edges:\n"
    "  - {source: a.text, target: b.in}\n"
    "  - {source: b.text, target: c.in}\n"
    "  - {source: c.text, target: a.in}\n"
)


def test_a_cycle_is_reported_at_every_node_on_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, lines = run_validate(write(tmp_path / "wf.yaml", CYCLE), capsys)
    assert code == 2
    assert lines == [
        f"{at(CYCLE, '{id: a')}: cycle: a -> b -> c -> a",
        f"{at(CYCLE, '{id: b')}: cycle: a -> b -> c -> a (node 'b')",
        f"{at(CYCLE, '{id: c')}: cycle: a -> b -> c -> a (node 'c')",
    ]


def test_a_condition_that_is_only_an_unknown_name_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = branch_file("labl")
    code, lines = run_validate(write(tmp_path / "wf.yaml", text), capsys)
    assert code == 2
    assert lines == [
        f"{at(text, 'when: ' + repr('labl'))}: node 'route': case 'p0': `when` reads 'labl', "
        "which is not an input (known: value, inputs, score, label)"
    ]


# ---- map and loop bodies ----------------------------------------------------------------


def map_template_file(body: str, extra: str = "") -> str:
    return HEAD + (
        "inputs: [{name: xs, type: array}]\n"
        "nodes:\n"
        "  - {id: xs, kind: input}\n"
        "  - id: m\n"
        "    kind: map\n"
        "    config:\n"
        f"      template: {body}\n"
        f"{extra}"
        "  - {id: o, kind: output}\n"
        "edges:\n"
        "  - {source: xs.value, target: m.items}\n"
        "  - {source: m.results, target: o.value}\n"
    )


@pytest.mark.parametrize(
    ("body", "extra", "needle", "message"),
    [
        (
            "{kind: templat, config: {template: x}}",
            "",
            "kind: templat",
            "node 'm': unknown node kind 'templat'",
        ),
        (
            "{kind: template, config: {templte: x}}",
            "",
            "templte",
            "node 'm': template: templte: not a known setting: remove it or check its spelling",
        ),
        (
            "{kind: template, config: {template: x}}",
            "      result_port: txt\n",
            "result_port",
            "node 'm': template kind 'template' has no output port 'txt' (its outputs: text)",
        ),
        (
            "{kind: template, config: {template: x}}",
            "      item_policy: {retry: {max_attempts: 2, retry_on: [transiet]}}\n",
            "transiet",
            "node 'm': retry_on 'transiet' is not an error class",
        ),
    ],
)
def test_a_map_template_is_checked_like_a_node(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    body: str,
    extra: str,
    needle: str,
    message: str,
) -> None:
    text = map_template_file(body, extra)
    code, lines = run_validate(write(tmp_path / "wf.yaml", text), capsys)
    assert code == 2
    assert any(line.startswith(f"{at(text, needle)}: {message}") for line in lines), lines


def test_a_loop_template_and_condition_are_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = HEAD + (
        "inputs: [{name: x}]\n"
        "nodes:\n"
        "  - {id: x, kind: input}\n"
        "  - id: again\n"
        "    kind: loop\n"
        "    config:\n"
        "      template: {kind: template, config: {template: '{{ in }}!'}}\n"
        "      max_iterations: 3\n"
        "      until: txt | length > 4\n"
        "  - {id: o, kind: output}\n"
        "edges:\n"
        "  - {source: x.value, target: again.in}\n"
        "  - {source: again.value, target: o.value}\n"
    )
    code, lines = run_validate(write(tmp_path / "wf.yaml", text), capsys)
    assert code == 2
    assert lines == [
        f"{at(text, 'until:')}: node 'again': until: txt is not an output of the "
        "template (its outputs: text)"
    ]
    fixed = text.replace("txt | length", "text | length")
    code, _ = run_validate(write(tmp_path / "ok.yaml", fixed), capsys)
    assert code == 0
