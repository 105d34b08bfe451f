"""Evaluation throughput and overhead, in one invocation.

1. Rows per second of a real evaluation on the bundled model (SmolLM2, one llm call per
   row) at concurrency 1 and 4, and their ratio.
2. The evaluation's own overhead per row: the same rows through `interlock eval` against
   running each row's workflow one by one through the CLI's Python entry
   (`engine.cli.main.main(["run", ...])`), on a workflow with no model call, so the
   difference is bookkeeping (dataset, scoring, result rows), not inference.

    .venv/bin/python bench/eval_throughput.py [--rows 24] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.cli.commands import default_providers  # noqa: E402
from engine.cli.main import main as cli_main  # noqa: E402
from engine.evaluation.runner import Evaluator  # noqa: E402
from engine.evaluation.spec import load_eval  # noqa: E402
from engine.nodes import default_registry  # noqa: E402
from engine.store import SqliteRunStore  # noqa: E402

MODEL_WORKFLOW = """\
version: 1
metadata: {name: Sentiment}
inputs: [{name: review, type: string, required: true}]
nodes:
  - {id: review, kind: input}
  - id: classify
    kind: llm
    config:
      system: You label product reviews as positive or negative.
      prompt: 'Review: {{ in }}'
      max_tokens: 16
      output_schema:
        type: object
        properties: {sentiment: {type: string, enum: [positive, negative]}}
        required: [sentiment]
  - {id: label, kind: output}
edges:
  - {source: review.value, target: classify.in}
  - {source: classify.json, target: label.value}
"""

PLAIN_WORKFLOW = """\
version: 1
metadata: {name: Upper}
inputs: [{name: review, type: string, required: true}]
nodes:
  - {id: review, kind: input}
  - {id: up, kind: template, config: {template: '{{ in | upper }}'}}
  - {id: label, kind: output}
edges:
  - {source: review.value, target: up.in}
  - {source: up.text, target: label.value}
"""

REVIEWS = [
    "Great sound and fast delivery.",
    "Broke after two days.",
    "Support never answered my emails.",
    "Lovely colour, fits perfectly.",
    "Too small and overpriced.",
    "Works exactly as described, very happy.",
]


def make_folder(folder: Path, workflow: str, rows: int, concurrency: int) -> Path:
    (folder / "w.interlock.yaml").write_text(workflow, encoding="utf-8")
    lines = [
        json.dumps({"review": f"{REVIEWS[i % len(REVIEWS)]} (#{i})", "expected": "x"})
        for i in range(rows)
    ]
    (folder / "d.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    path = folder / f"c{concurrency}.eval.yaml"
    path.write_text(
        f"name: bench\nworkflow: w.interlock.yaml\ndataset: d.jsonl\nconcurrency: {concurrency}\n"
        "scorers: [{id: s, type: exact}, {id: t, type: regex, pattern: '.'}]\n",
        encoding="utf-8",
    )
    return path


def eval_seconds(path: Path, db: Path, providers: object) -> float:
    with SqliteRunStore(db) as store:
        evaluator = Evaluator(default_registry(), providers, store)  # type: ignore[arg-type]
        prepared = evaluator.prepare(load_eval(path))
        started = time.perf_counter()
        asyncio.run(evaluator.run(prepared))
        return time.perf_counter() - started


def cli_seconds(folder: Path, db: Path, rows: int) -> float:
    workflow = str(folder / "w.interlock.yaml")
    started = time.perf_counter()
    for i in range(rows):
        review = f"{REVIEWS[i % len(REVIEWS)]} (#{i})"
        with contextlib.redirect_stdout(io.StringIO()):
            code = cli_main(
                [
                    "run",
                    workflow,
                    "--input",
                    f"review={review}",
                    "--db",
                    str(db),
                    "--quiet",
                    "--no-cache",
                    "--approve",
                    "deny",
                ]
            )
        assert code == 0
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=24)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    providers = default_providers()
    with tempfile.TemporaryDirectory(prefix="interlock-eval-bench-") as tmp:
        base = Path(tmp)
        # Warm the model once so no round pays for loading it.
        (base / "warm").mkdir()
        warm = make_folder(base / "warm", MODEL_WORKFLOW, 2, 1)
        eval_seconds(warm, base / "warm.db", providers)
        c1, c4, ev, cli = [], [], [], []
        for round_ in range(args.rounds):  # interleaved, so drift hits every column alike
            for concurrency, out in ((1, c1), (4, c4)):
                folder = base / f"m{round_}c{concurrency}"
                folder.mkdir()
                path = make_folder(folder, MODEL_WORKFLOW, args.rows, concurrency)
                out.append(args.rows / eval_seconds(path, folder / "runs.db", providers))
            folder = base / f"p{round_}"
            folder.mkdir()
            path = make_folder(folder, PLAIN_WORKFLOW, args.rows, 1)
            ev.append(eval_seconds(path, folder / "eval.db", providers) / args.rows)
            cli.append(cli_seconds(folder, folder / "cli.db", args.rows) / args.rows)
    r1, r4 = statistics.median(c1), statistics.median(c4)
    e, c = statistics.median(ev), statistics.median(cli)
    print(f"rows per round: {args.rows}, rounds: {args.rounds} (medians)")
    print(
        f"model rows/s   concurrency 1: {r1:6.2f}   concurrency 4: {r4:6.2f}   "
        f"ratio c4/c1: {r4 / r1:.2f}"
    )
    print(
        f"no-model row   eval: {e * 1000:7.2f} ms   one-by-one CLI entry: {c * 1000:7.2f} ms   "
        f"ratio eval/cli: {e / c:.2f}"
    )


if __name__ == "__main__":
    main()
