"""Fixtures for evaluation tests: a tiny workflow that needs no model, its datasets and
eval files written into a temp folder, and a store parametrized over both backends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.store import MemoryRunStore, SqliteRunStore
from engine.store.evaluations import EvalStore

SHOUT = """\
version: 1
metadata: {name: Shout}
inputs:
  - {name: text, type: string, required: true}
  - {name: times, type: integer, default: 1}
nodes:
  - {id: text, kind: input}
  - {id: times, kind: input}
  - id: shout
    kind: template
    config:
      inputs: [in, n]
      template: "{{ (in | upper) * n }}"
  - {id: out, kind: output}
edges:
  - {source: text.value, target: shout.in}
  - {source: times.value, target: shout.n}
  - {source: shout.text, target: out.value}
"""

ROWS = """\
{"text": "hi", "expected": "HI"}
{"text": "ok", "times": 2, "expected": "OKOK", "metadata": {"topic": "repeat"}}
{"text": "no", "expected": "nope"}
{"text": "yes", "expected": "YES", "meta.source": "manual"}
"""

EVAL = """\
version: 1
name: Shout check
workflow: shout.interlock.yaml
dataset: shout.jsonl
concurrency: 2
scorers:
  - {id: same, type: exact}
  - {id: has_letters, type: regex, pattern: "^[A-Z]+$"}
min_pass_rate: 0.7
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "shout.interlock.yaml").write_text(SHOUT, encoding="utf-8")
    (tmp_path / "shout.jsonl").write_text(ROWS, encoding="utf-8")
    (tmp_path / "shout.eval.yaml").write_text(EVAL, encoding="utf-8")
    return tmp_path


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EvalStore]:
    s: EvalStore = (
        MemoryRunStore() if request.param == "memory" else SqliteRunStore(tmp_path / "runs.db")
    )
    yield s
    s.close()
