"""Templates render an interpolated None, True or False as JSON (null, true, false), in
every node that renders text; `tojson` is still there for whole values."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from engine.cli.main import main

FLAGS = """\
version: 1
metadata: {name: flags}
inputs:
  - {name: yes_flag, type: boolean, default: true}
  - {name: no_flag, type: boolean, default: false}
  - {name: nothing, type: any}
  - {name: label, type: string, default: "<b>"}
nodes:
  - {id: yes_flag, kind: input}
  - {id: no_flag, kind: input}
  - {id: nothing, kind: input}
  - {id: label, kind: input}
  - id: text
    kind: template
    config:
      inputs: [a, b, c, d]
      template: "{{ a }} {{ b }} {{ c }} {{ d }} {{ 0 }} {{ c | tojson }} {{ [a, c] | tojson }}"
  - id: parsed
    kind: template
    config:
      inputs: [a, b, c]
      output_type: object
      template: '{"on": {{ a }}, "off": {{ b }}, "none": {{ c }}}'
  - id: spelled
    kind: template
    config:
      inputs: [a, c]
      template: "{{ a ~ '' }} {{ c if c is not none else 'nothing' }} {{ '%s' % a }}"
  - {id: text_out, kind: output}
  - {id: parsed_out, kind: output}
  - {id: spelled_out, kind: output}
edges:
  - {source: yes_flag.value, target: text.a}
  - {source: no_flag.value, target: text.b}
  - {source: nothing.value, target: text.c}
  - {source: label.value, target: text.d}
  - {source: yes_flag.value, target: parsed.a}
  - {source: no_flag.value, target: parsed.b}
  - {source: nothing.value, target: parsed.c}
  - {source: yes_flag.value, target: spelled.a}
  - {source: nothing.value, target: spelled.c}
  - {source: text.text, target: text_out.value}
  - {source: parsed.text, target: parsed_out.value}
  - {source: spelled.text, target: spelled_out.value}
"""


@pytest.fixture
def run_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Any:
    monkeypatch.setenv("INTERLOCK_DATA_DIR", str(tmp_path / "data"))

    def run(text: str) -> dict[str, Any]:
        path = tmp_path / "wf.interlock.yaml"
        path.write_text(text, encoding="utf-8")
        code = main(["run", str(path), "--json", "-q", "--db", str(tmp_path / "runs.db")])
        out, err = capsys.readouterr()
        assert code == 0, err
        summary: dict[str, Any] = json.loads(out)
        return summary

    return run


def test_null_true_false_render_as_json(run_json: Any) -> None:
    outputs = run_json(FLAGS)["outputs"]
    assert outputs["text_out"] == "true false null <b> 0 null [true, null]"
    assert outputs["parsed_out"] == {"on": True, "off": False, "none": None}
    # Only the interpolated value itself is JSON: Python expressions inside keep Python's.
    assert outputs["spelled_out"] == "True nothing True"
