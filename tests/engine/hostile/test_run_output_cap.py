"""All of a run's templates together stay under `policy.templates.max_run_chars`, even when
each one alone is small (a map fanning a template out over many items)."""

from __future__ import annotations

from tests.engine.helpers import run, wf


def _fan_out(max_run_chars: int) -> object:
    template = {"kind": "template", "config": {"template": "{{ 'x' * 1000 }}{{ in }}"}}
    return wf(
        [
            {"id": "xs", "kind": "input"},
            {"id": "m", "kind": "map", "config": {"template": template, "max_parallelism": 1}},
            {"id": "o", "kind": "output"},
        ],
        [("xs.value", "m.items"), ("m.results", "o.value")],
        inputs=[{"name": "xs", "type": "array"}],
        policy={"templates": {"max_run_chars": max_run_chars}},
    )


def test_a_run_stops_when_its_templates_output_too_much_together() -> None:
    result, _ = run(_fan_out(5_000), {"xs": list(range(10))})  # type: ignore[arg-type]
    assert result.status == "failed"
    assert "output more than 5,000 characters" in (result.error or "")
    assert "policy.templates.max_run_chars" in (result.error or "")
    result, _ = run(_fan_out(20_000), {"xs": list(range(10))})  # type: ignore[arg-type]
    assert result.status == "succeeded" and len(result.outputs["o"]) == 10
