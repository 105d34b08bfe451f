"""Fuzzing with a fixed budget: mutated copies of the shipped example workflows through
`interlock validate`, and random template and expression text through the sandbox. Nothing
may raise past the CLI (exit 0 or 2 only) or past the sandbox (SandboxError only)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.cli.main import main
from engine.sandbox import SandboxError, check_expression, check_template, evaluate, render

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = sorted((ROOT / "resources" / "examples").rglob("*.interlock.yaml"))

_PIECES = [
    "{{", "}}", "{%", "%}", "(", ")", "[", "]", "{", "}", "|", "~", "*", "**", "%", "+", "-",
    " not ", " and ", " if ", " else ", " for ", " in ", "range(", "namespace(", "x", "y",
    "10", "9", "'a'", '"%09d"', "|join", "|center(", "|batch(", "|format(", ".format(",
    "{% for i in range(99) %}", "{% endfor %}", "{% if x %}", "{% endif %}", "{% set y = ",
    "{% macro m() %}", "{% endmacro %}", "m()", "\n", " ", ",", ":", ".", "loop.index",
]  # fmt: skip
"""Fragments of templates, so random text often parses and then runs."""


_NESTING = ["(", "[", " not ", "-", "x|string", "x.a", "1 + "]


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """An example file with a few characters or lines inserted, deleted or duplicated."""
    text = (EXAMPLES[draw(st.integers(0, len(EXAMPLES) - 1))]).read_text(encoding="utf-8")
    for _ in range(draw(st.integers(1, 6))):
        if not text:
            break
        at = draw(st.integers(0, len(text) - 1))
        choice = draw(st.integers(0, 6))
        openings = [i + 2 for i in range(len(text)) if text.startswith(("{{", "{%"), i)]
        if choice >= 5 and openings:  # deep nesting inside a template or expression
            at = openings[draw(st.integers(0, len(openings) - 1))]
            deep = draw(st.sampled_from(_NESTING)) * draw(st.integers(50, 600))
            text = text[:at] + deep + text[at:]
            continue
        if choice == 0:
            text = text[:at] + text[at + 1 :]
        elif choice == 1:
            text = (
                text[:at]
                + draw(st.sampled_from(["{", "(", "[", ":", "-", " ", "\t", "'"]))
                + text[at:]
            )
        elif choice == 2:
            end = text.find("\n", at) + 1 or len(text)
            start = text.rfind("\n", 0, at) + 1
            text = text[:end] + text[start:end] * draw(st.integers(1, 50)) + text[end:]
        elif choice == 3:
            text = (
                text[:at] + draw(st.sampled_from(_PIECES)) * draw(st.integers(1, 400)) + text[at:]
            )
        else:
            text = text[:at] + draw(st.text(max_size=8)) + text[at:]
    return text


@pytest.mark.skipif(not EXAMPLES, reason="no example workflows")
@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(text=mutated())
def test_mutated_examples_validate_with_exit_0_or_2(
    text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "mutant.interlock.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogateescape")
    code = main(["validate", str(path)])
    out, err = capsys.readouterr()
    assert code in (0, 2), (code, out, err)
    assert "Traceback" not in out + err


_piece = st.sampled_from(_PIECES)
_repeated = st.tuples(_piece, st.integers(2, 600)).map(lambda pair: pair[0] * pair[1])
templates = st.lists(st.one_of(_piece, _piece, _repeated), min_size=1, max_size=30).map("".join)


@settings(max_examples=400, deadline=None)
@given(source=templates)
def test_random_templates_raise_only_sandbox_errors(source: str) -> None:
    problem = check_template(source)
    try:
        render(source, {"x": "abc", "y": [1, 2, 3]})
    except SandboxError:
        return
    assert problem is None, (source, problem)


@settings(max_examples=400, deadline=None)
@given(source=templates)
def test_random_expressions_raise_only_sandbox_errors(source: str) -> None:
    check_expression(source)
    try:
        evaluate(source, {"x": "abc", "y": [1, 2, 3]})
    except SandboxError:
        pass
