"""Routing quality: how well Interlock's model cascade trades remote calls for accuracy.

337 labelled routine tasks (bench/data/routing_tasks.jsonl, written by
bench/data/make_routing_tasks.py: review sentiment, order id + city extraction, topic of a
customer message, yes/no over a short passage; split calibration/test) run as one-llm-node
workflows through the real engine on each model of the ladder alone: SmolLM2 135M (local),
Gemma 3 270M (local, in-process) and the remote endpoint `lab` (Gemma 3 270M behind
`python -m llama_cpp.server` on 127.0.0.1). Per task it records correct, confidence, tokens,
cost, remote and seconds (--out). Offline, a cascade simulator sweeps confidence thresholds
on the calibration split, prints the cost-vs-accuracy frontier and picks the cheapest
thresholds reaching 97% of always-remote's accuracy (one set for every kind, and one per
kind); the test split reports them, simulated and run for real through the engine
(`escalate: {min_confidence: T, to: ...}`; --run picks which, --resume keeps finished work).

    .venv/bin/python bench/routing_quality.py [--limit N] [--kinds sentiment,topic] [--out F]
        [--resume] [--run 1,2,3]
    .venv/bin/python bench/routing_quality.py --from-results bench/data/routing_results.json
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

DATA = ROOT / "bench" / "data" / "routing_tasks.jsonl"
RESULTS = ROOT / "bench" / "data" / "routing_results.json"
PRICES = {"price_in": 0.15, "price_out": 0.60}
"""USD per 1M tokens for the remote endpoint, as if it were a small hosted model."""
REMOTE = "lab/gemma3-270m"
LADDER = ("smollm2-135m-instruct", "gemma3-270m", REMOTE)
"""The cascade's steps, cheapest first: two local models, then the remote endpoint."""
TARGET = 0.97
"""The calibrated cascade must reach this share of always-remote's accuracy..."""
MAX_REMOTE = 0.35
"""...with at most this share of its remote calls (the goal, on the test split)."""
ALWAYS = math.inf
"""A threshold no confidence reaches: the step always escalates (skipped, in effect)."""

PROMPTS = {
    "sentiment": (
        "Classify the sentiment of each review as JSON.\n\n"
        "Review: The blender is fantastic and quiet.\n"
        'Answer: {"sentiment": "positive"}\n\n'
        "Review: The lamp flickers and the switch broke.\n"
        'Answer: {"sentiment": "negative"}\n\n'
        "Review: {{ text }}\nAnswer:"
    ),
    "extract": (
        "Extract the order number and the city as JSON.\n\n"
        "Text: Order 2231 for Sam Green was shipped to Bergen today.\n"
        'Answer: {"order_id": "2231", "city": "Bergen"}\n\n'
        "Text: Customer Ana Ruiz from Seville asked about order 7710.\n"
        'Answer: {"order_id": "7710", "city": "Seville"}\n\n'
        "Text: {{ text }}\nAnswer:"
    ),
    "topic": (
        "Classify each customer message by topic as JSON. Topics: billing, shipping, "
        "technical, account, returns, product_question, other.\n\n"
        "Message: Why was my card charged two times?\n"
        'Answer: {"topic": "billing"}\n\n'
        "Message: The tracking page says my parcel is lost.\n"
        'Answer: {"topic": "shipping"}\n\n'
        "Message: The tablet restarts by itself every few minutes.\n"
        'Answer: {"topic": "technical"}\n\n'
        "Message: How do I reset my password?\n"
        'Answer: {"topic": "account"}\n\n'
        "Message: Can I send the sofa back if it doesn't suit my room?\n"
        'Answer: {"topic": "returns"}\n\n'
        "Message: Does the toaster have a defrost setting?\n"
        'Answer: {"topic": "product_question"}\n\n'
        "Message: Do you offer internships for students?\n"
        'Answer: {"topic": "other"}\n\n'
        "Message: {{ text }}\nAnswer:"
    ),
    "yesno": (
        "Answer each question about its passage with yes or no, as JSON.\n\n"
        "Passage: The museum opens at 9 am. It is closed on Mondays.\n"
        "Question: Is the museum open on Mondays?\n"
        'Answer: {"answer": "no"}\n\n'
        "Passage: The scarf is made of wool. Wash it at 30 degrees.\n"
        "Question: Is the scarf made of wool?\n"
        'Answer: {"answer": "yes"}\n\n'
        "Passage: {{ text }}\nQuestion: {{ question }}\nAnswer:"
    ),
}
TOPICS = ["billing", "shipping", "technical", "account", "returns", "product_question", "other"]


def _enum(key: str, labels: list[str]) -> dict[str, Any]:
    return {"type": "object", "properties": {key: {"enum": labels}}, "required": [key],
            "additionalProperties": False}  # fmt: skip


SCHEMAS = {
    "sentiment": _enum("sentiment", ["positive", "negative"]),
    "extract": {
        "type": "object",
        "properties": {
            "order_id": {"type": "string", "pattern": "^[0-9]{4}$"},
            "city": {"type": "string", "minLength": 2},
        },
        "required": ["order_id", "city"],
        "additionalProperties": False,
    },
    "topic": _enum("topic", TOPICS),
    "yesno": _enum("answer", ["yes", "no"]),
}

Record = dict[str, Any]
"""One task on one mode: correct, valid (schema-valid answer), confidence, tokens, cost,
remote, remote_calls, seconds, answer."""


# --- the offline cascade: pure functions over recorded per-step results ------------------


@dataclass(frozen=True, slots=True)
class Summary:
    n: int
    accuracy: float
    remote_share: float
    """Share of tasks that reached a remote step."""
    remote_calls: int
    cost_usd: float
    seconds: float


def summarize(records: Sequence[Record]) -> Summary:
    n = len(records)
    return Summary(
        n=n,
        accuracy=sum(r["correct"] for r in records) / n if n else 0.0,
        remote_share=sum(bool(r["remote"]) for r in records) / n if n else 0.0,
        remote_calls=sum(r.get("remote_calls", int(r["remote"])) for r in records),
        cost_usd=sum(r["cost"] for r in records),
        seconds=sum(r["seconds"] for r in records),
    )


def accepts(record: Record, threshold: float) -> bool:
    """Whether a step's answer stands, as the engine judges it: schema-valid, and its
    confidence not below the threshold (an answer without a confidence stands)."""
    conf = record["confidence"]
    return bool(record["valid"]) and (conf is None or conf >= threshold)


def cascade(
    steps: Sequence[Mapping[str, Record]], thresholds: Sequence[float], ids: Iterable[str]
) -> list[Record]:
    """Per task, the first step whose answer `accepts` its threshold answers (the last step
    always does); tokens, cost, seconds and remote calls add up over the steps tried."""
    out = []
    for task_id in ids:
        tried = []
        for i, step in enumerate(steps):
            tried.append(step[task_id])
            if i == len(steps) - 1 or accepts(step[task_id], thresholds[i]):
                break
        last = tried[-1]
        out.append({
            "correct": last["correct"], "valid": last["valid"], "confidence": last["confidence"],
            "answered_by": len(tried) - 1, "tokens": sum(r["tokens"] for r in tried),
            "cost": sum(r["cost"] for r in tried), "remote": any(r["remote"] for r in tried),
            "remote_calls": sum(bool(r["remote"]) for r in tried),
            "seconds": sum(r["seconds"] for r in tried),
        })  # fmt: skip
    return out


def threshold_grid(records: Iterable[Record], quantiles: int = 20) -> list[float]:
    """Candidate thresholds for one step: its observed confidences at every 1/quantiles
    quantile, plus 0 (always accept) and ALWAYS (always escalate)."""
    confs = sorted(r["confidence"] for r in records if r["confidence"] is not None)
    grid = {0.0, ALWAYS}
    if confs:
        grid |= {confs[round(q * (len(confs) - 1) / quantiles)] for q in range(quantiles + 1)}
    return sorted(grid)


@dataclass(frozen=True, slots=True)
class Point:
    thresholds: tuple[float, ...]
    summary: Summary


def sweep(
    steps: Sequence[Mapping[str, Record]], ids: Sequence[str], quantiles: int = 20
) -> list[Point]:
    """Every combination of the non-final steps' threshold grids, simulated over `ids`."""
    grids = [threshold_grid([step[i] for i in ids], quantiles) for step in steps[:-1]]
    return [Point(tuple(t), summarize(cascade(steps, t, ids))) for t in itertools.product(*grids)]


def _price(point: Point) -> tuple[float, ...]:
    s = point.summary
    return (round(s.cost_usd, 9), s.remote_share, -s.accuracy, s.seconds)


def frontier(points: Iterable[Point]) -> list[Point]:
    """The Pareto set of cost (USD, then remote share) against accuracy, cheapest first."""
    out: list[Point] = []
    for point in sorted(points, key=_price):
        if not out or point.summary.accuracy > out[-1].summary.accuracy:
            out.append(point)
    return out


def cheapest(points: Iterable[Point], accuracy: float) -> Point | None:
    """The cheapest point reaching `accuracy` (ties: fewer remote calls, more accurate)."""
    return min((p for p in points if p.summary.accuracy >= accuracy - 1e-12), key=_price,
               default=None)  # fmt: skip


def calibrate(
    steps: Sequence[Mapping[str, Record]], remote: Mapping[str, Record], ids: Sequence[str]
) -> tuple[Point | None, list[Point], float]:
    """Thresholds for a ladder from the calibration `ids`: (chosen, frontier, target)."""
    target = TARGET * summarize([remote[i] for i in ids]).accuracy
    points = sweep(steps, ids)
    return cheapest(points, target), frontier(points), target


def calibrate_per_kind(
    steps: Sequence[Mapping[str, Record]],
    remote: Mapping[str, Record],
    ids: Sequence[str],
    kind_of: Mapping[str, str],
) -> dict[str, Point | None]:
    """Thresholds per kind of task (each kind is its own node, with its own route policy),
    each reaching the target against always-remote on that kind's calibration `ids`."""
    kinds = sorted({kind_of[i] for i in ids})
    return {k: calibrate(steps, remote, [i for i in ids if kind_of[i] == k])[0] for k in kinds}


def cascade_per_kind(
    steps: Sequence[Mapping[str, Record]],
    thresholds: Mapping[str, Sequence[float]],
    ids: Iterable[str],
    kind_of: Mapping[str, str],
) -> list[Record]:
    """`cascade` with each task's kind's thresholds."""
    return [cascade(steps, thresholds[kind_of[i]], [i])[0] for i in ids]


# --- running tasks through the engine ------------------------------------------------------


def workflow(kind: str, route: dict[str, Any]) -> Any:
    from engine.workflow.model import Workflow

    inputs = ["text", "question"] if kind == "yesno" else ["text"]
    config = {"inputs": inputs, "mode": "completion", "prompt": PROMPTS[kind], "stop": ["\n"],
              "max_tokens": 32, "output_schema": SCHEMAS[kind], "route": route}  # fmt: skip
    return Workflow.model_validate({
        "metadata": {"name": f"bench-{kind}"},
        "inputs": [{"name": name, "required": True} for name in inputs],
        "nodes": [*({"id": name, "kind": "input"} for name in inputs),
                  {"id": "ask", "kind": "llm", "config": config},
                  {"id": "out", "kind": "output"}],
        "edges": [*({"source": f"{name}.value", "target": f"ask.{name}"} for name in inputs),
                  {"source": "ask.json", "target": "out.value"}],
    })  # fmt: skip


def correct(task: dict[str, Any], value: Any) -> bool:
    if not isinstance(value, dict) or set(value) != set(task["label"]):
        return False
    return all(str(value[k]).strip().lower() == str(v).lower() for k, v in task["label"].items())


async def run_mode(
    engine: Any, tasks: list[dict[str, Any]], routes: Mapping[str, dict[str, Any]], label: str
) -> dict[str, Record]:
    """Every task through the engine, each kind's workflow on its route policy."""
    from engine.routing.events import ModelCall

    flows = {kind: workflow(kind, routes[kind]) for kind in {t["kind"] for t in tasks}}
    records: dict[str, Record] = {}
    for n, task in enumerate(tasks, 1):
        events: list[Any] = []
        inputs = {"text": task["text"], **({"question": task["question"]} if "question" in task
                                           else {})}  # fmt: skip
        started = time.perf_counter()
        result = await engine.run(flows[task["kind"]], inputs, subscribers=[events.append])
        seconds = time.perf_counter() - started
        calls = [e for e in events if isinstance(e, ModelCall)]
        answer = result.outputs.get("out") if result.status == "succeeded" else None
        records[task["id"]] = {
            "correct": answer is not None and correct(task, answer),
            "valid": result.status == "succeeded" and bool(calls) and calls[-1].outcome in
            ("ok", "low_confidence"),
            "confidence": calls[-1].confidence if calls else None,
            "tokens": sum(c.prompt_tokens + c.completion_tokens for c in calls),
            "cost": sum(c.cost_usd for c in calls),
            "remote": any(c.remote for c in calls),
            "remote_calls": sum(c.remote for c in calls),
            "seconds": seconds,
            "answer": answer,
            "models": [c.model for c in calls],
        }  # fmt: skip
        if n % 25 == 0 or n == len(tasks):
            print(f"  {label}: {n}/{len(tasks)}", file=sys.stderr, flush=True)
    return records


def single_route(model: str) -> dict[str, Any]:
    return {"model": model}


def ladder_route(steps: Sequence[str], thresholds: Sequence[float]) -> dict[str, Any] | None:
    """The route policy running a calibrated ladder through the engine, or None if the
    engine's route policy cannot express it. A step that always escalates is left out; a
    ladder of more than two steps needs `escalate.to` as a list of {model, min_confidence}
    steps (each step's threshold judges its own answer)."""
    from engine.routing.policy import RoutePolicy

    kept = [(m, t) for m, t in zip(steps, [*thresholds, 0.0], strict=True) if t != ALWAYS]
    if len(kept) == 1:
        return {"model": kept[0][0]}
    (first, t0), rest = kept[0], kept[1:]
    escalate: dict[str, Any] = {"on_schema_failure": True, "min_confidence": t0}
    if len(rest) == 1:
        escalate["to"] = rest[0][0]
    else:
        escalate["to"] = [{"model": m, "min_confidence": t} for m, t in rest[:-1]]
        escalate["to"].append(rest[-1][0])
    route = {"model": first, "escalate": escalate}
    try:
        RoutePolicy.model_validate(route)
    except ValueError:
        return None
    return route


class Models:
    """The ladder's providers for the life of the bench: one in-process pool for both local
    models, and the loopback llama_cpp.server as endpoint `lab` (Gemma 3 270M).

    Local Gemma generates freely and is validated (json_strategy validate_retry): with its
    262k-token vocabulary, grammar-constrained sampling took 5-27 s an answer, free 2-3 s.
    The remote step is always the last, so the engine never asks it for logprobs (for them
    llama_cpp.server sorts the whole vocabulary per token: 15 s an answer instead of 0.7 s)."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp

    def __enter__(self) -> Any:
        from routing_overhead import llama_server

        from engine.config import dumps_toml
        from engine.nodes import builtin_registry
        from engine.providers.base import ProviderRegistry
        from engine.providers.local import LocalProvider
        from engine.providers.remote import RemoteProvider, load_endpoints
        from engine.runtime.engine import Engine
        from local_models import ModelCatalog
        from local_models.bundled import GEMMA3_ID, SMOLLM2_ID, gemma3_path

        self.server = llama_server(gemma3_path())
        url = self.server.__enter__()
        endpoint = {"url": url, "models": ["gemma3-270m"], "tier": "hard", "context": 2048,
                    "json_mode": "none", **PRICES}  # fmt: skip
        config = self.tmp / "config.toml"
        config.write_text(dumps_toml({"endpoints": {"lab": endpoint}}))
        os.environ["INTERLOCK_CONFIG"] = str(config)
        (ep,) = load_endpoints()
        catalog = ModelCatalog(self.tmp / "data")
        catalog.update_profile(GEMMA3_ID, json_strategy="validate_retry")
        self.local = LocalProvider(catalog)
        registry = ProviderRegistry([self.local, RemoteProvider(ep)], SMOLLM2_ID)
        return Engine(builtin_registry(), registry, use_cache=False)

    def __exit__(self, *exc: object) -> None:
        self.local.close()
        self.server.__exit__(None, None, None)
        shutil.rmtree(self.tmp, ignore_errors=True)  # the catalog's copy of Gemma: 242 MB


# --- reporting ----------------------------------------------------------------------------


def fmt_thresholds(thresholds: Sequence[float]) -> str:
    return ", ".join("always escalate" if t == ALWAYS else f"{t:.3f}" for t in thresholds)


def row(label: str, s: Summary) -> str:
    return (f"| {label} | {s.accuracy:.1%} | {s.remote_share:.1%} | {s.remote_calls} | "
            f"{s.cost_usd:.6f} | {s.seconds:.1f} |")  # fmt: skip


def print_frontier(title: str, points: list[Point], chosen: Point | None) -> None:
    print(f"\n{title}\n\n| thresholds | accuracy | remote share | cost (USD) | seconds |")
    print("|---|---|---|---|---|")
    for p in points:
        s, mark = p.summary, " **chosen**" if p == chosen else ""
        print(f"| {fmt_thresholds(p.thresholds)}{mark} | {s.accuracy:.1%} | "
              f"{s.remote_share:.1%} | {s.cost_usd:.6f} | {s.seconds:.1f} |")  # fmt: skip


def load_tasks(args: argparse.Namespace) -> list[dict[str, Any]]:
    tasks = [json.loads(line) for line in DATA.read_text().splitlines() if line.strip()]
    kinds = args.kinds.split(",") if args.kinds else list(PROMPTS)
    tasks = [t for t in tasks if t["kind"] in kinds]
    if args.limit:
        tasks = [t for k in kinds for t in [t for t in tasks if t["kind"] == k][: args.limit]]
    return tasks


def run_models(
    tasks: list[dict[str, Any]], out: Path, resume: bool, run: Sequence[int] = (1, 2, 3)
) -> dict[str, Any]:
    """Each ladder step alone on every task, then the calibrated cascades on the test split
    through the engine; saved to `out` after each mode (`resume` keeps finished modes, and
    cascade runs whose routes are unchanged)."""
    results: dict[str, Any] = {
        "tasks": {t["id"]: {"kind": t["kind"], "split": t["split"]} for t in tasks},
        "ladder": list(LADDER),
        "remote": f"{REMOTE}: Gemma 3 270M Q4_K_M behind llama_cpp.server on 127.0.0.1, "
        "json_mode none",
        "prices_per_1m": PRICES,
        "modes": {},
        "cascade_runs": {},
    }
    done: dict[str, Any] = json.loads(out.read_text()) if resume and out.exists() else {}
    results["modes"] = {m: r for m, r in done.get("modes", {}).items()
                        if set(results["tasks"]) <= set(r)}  # fmt: skip
    kinds = sorted({t["kind"] for t in tasks})
    test = [t for t in tasks if t["split"] == "test"]
    with Models(Path(tempfile.mkdtemp(prefix="routing-quality-"))) as engine:
        for model in LADDER:
            if model in results["modes"]:
                continue
            routes = {k: single_route(model) for k in kinds}
            results["modes"][model] = asyncio.run(run_mode(engine, tasks, routes, model))
            out.write_text(json.dumps(results, indent=1))
        for number, (name, (steps, by_kind)) in enumerate(plans(results).items(), 1):
            previous = done.get("cascade_runs", {}).get(name, {})
            if number not in run:
                if previous:
                    results["cascade_runs"][name] = previous
                continue
            routes = {k: ladder_route(steps, t) if t else None for k, t in by_kind.items()}
            if any(r is None for r in routes.values()):
                continue
            if previous.get("routes") == routes and {t["id"] for t in test} <= set(
                previous.get("tasks", {})
            ):
                results["cascade_runs"][name] = previous
                continue
            try:
                records = asyncio.run(run_mode(engine, test, routes, f"cascade {name}"))
            except Exception as exc:  # a ladder the engine validates but cannot run yet
                print(f"cascade {name} failed through the engine: {exc!r}", file=sys.stderr)
                continue
            results["cascade_runs"][name] = {"routes": routes, "tasks": records}
            out.write_text(json.dumps(results, indent=1))
    return results


def plans(results: dict[str, Any]) -> dict[str, tuple[list[str], dict[str, tuple[float, ...]]]]:
    """The calibrated cascades, thresholds by kind: the 3-step ladder and the 2-step
    local -> remote one with one set of thresholds for every kind, and the 2-step one
    calibrated per kind."""
    modes, tasks = results["modes"], results["tasks"]
    kind_of = {i: t["kind"] for i, t in tasks.items()}
    kinds = sorted(set(kind_of.values()))
    ids = [i for i, t in tasks.items() if t["split"] == "calibration"]
    out: dict[str, tuple[list[str], dict[str, tuple[float, ...]]]] = {}
    for steps in (list(LADDER), [LADDER[0], REMOTE]):
        chosen, _, _ = calibrate([modes[m] for m in steps], modes[REMOTE], ids)
        if chosen is not None:
            out[" -> ".join(steps)] = (steps, {k: chosen.thresholds for k in kinds})
    steps = [LADDER[0], REMOTE]
    name = " -> ".join(steps)
    per_kind = calibrate_per_kind([modes[m] for m in steps], modes[REMOTE], ids, kind_of)
    if name in out:  # a kind without calibration tasks (--limit) keeps the shared thresholds
        shared = out[name][1]
        thresholds = {k: p.thresholds if (p := per_kind.get(k)) else shared[k] for k in kinds}
        out[name + ", per kind"] = (steps, thresholds)
    return out


def engine_calibration(
    steps: Sequence[Mapping[str, Record]], cal: Sequence[str], test: Sequence[str], top: float
) -> str | None:
    """The same ladder calibrated by `engine.routing.calibration` (where the engine has it):
    its chosen thresholds and what they give on the test split, by this bench's simulator.
    A schema failure counts as confidence -1 there, so it escalates at any threshold."""
    try:
        from engine.routing import calibration
    except ImportError:
        return None

    def rows(ids: Sequence[str]) -> list[list[Any]]:
        return [[calibration.RungOutcome(s[i]["correct"], s[i]["confidence"] if s[i]["valid"]
                 else -1.0, s[i]["cost"], s[i]["remote"]) for s in steps] for i in ids]  # fmt: skip

    try:
        point, reached = calibration.choose(calibration.sweep(rows(cal)), top, TARGET)
    except (AttributeError, TypeError, ValueError) as exc:  # its API moved on
        return f"not comparable ({exc!r})"
    thresholds = [ALWAYS if t >= calibration.ALWAYS_ESCALATE else t for t in point.thresholds]
    s = summarize(cascade(steps, thresholds, test))
    return (f"{fmt_thresholds(thresholds[:-1])} (target {'reached' if reached else 'missed'}"
            f" on calibration, {point.score:.1%}); test: {s.accuracy:.1%} accuracy, "
            f"{s.remote_share:.1%} remote, ${s.cost_usd:.6f}")  # fmt: skip


def report(results: dict[str, Any]) -> None:
    modes, tasks = results["modes"], results["tasks"]
    kind_of = {i: t["kind"] for i, t in tasks.items()}
    kinds = sorted(set(kind_of.values()))
    cal = [i for i, t in tasks.items() if t["split"] == "calibration"]
    test = [i for i, t in tasks.items() if t["split"] == "test"]
    remote_cal = summarize([modes[REMOTE][i] for i in cal])
    remote_test = summarize([modes[REMOTE][i] for i in test])
    print(f"{len(tasks)} tasks: {len(cal)} calibration, {len(test)} test; remote = "
          f"{results['remote']}; prices ${PRICES['price_in']}/${PRICES['price_out']} per 1M "
          "tokens (endpoint config)")  # fmt: skip
    for steps in (list(LADDER), [LADDER[0], REMOTE]):
        name = " -> ".join(steps)
        chosen, points, target = calibrate([modes[m] for m in steps], modes[REMOTE], cal)
        print_frontier(
            f"Frontier, {name}, calibration split (target {TARGET:.0%} of always-remote "
            f"{remote_cal.accuracy:.1%} = {target:.1%}):", points, chosen)  # fmt: skip
        check = engine_calibration([modes[m] for m in steps], cal, test, remote_cal.accuracy)
        if check is not None:
            print(f"\nengine.routing.calibration on the same rows, {name}: {check}")
    runs = results.get("cascade_runs", {})
    rows = [(f"always {m}" + (" (remote)" if m == REMOTE else " (local)"),
             [modes[m][i] for i in test]) for m in LADDER]  # fmt: skip
    verdicts = []
    for name, (steps, by_kind) in plans(results).items():
        shared = len({by_kind[k] for k in kinds}) == 1
        where = fmt_thresholds(by_kind[kinds[0]]) if shared else "thresholds below"
        if not shared:
            print(f"\nThresholds per kind, {name} (calibration split):")
            for k in kinds:
                print(f"  {k}: {fmt_thresholds(by_kind[k])}")
        records = cascade_per_kind([modes[m] for m in steps], by_kind, test, kind_of)
        rows.append((f"cascade {name} @ {where} (simulated)", records))
        verdicts.append(rows[-1])
        if name in runs:
            real = [runs[name]["tasks"][i] for i in test if i in runs[name]["tasks"]]
            rows.append((f"cascade {name} @ {where} (run through the engine)", real))
            verdicts.append(rows[-1])
        else:
            why = ("the engine's route policy cannot express this ladder" if any(
                ladder_route(steps, t) is None for t in by_kind.values())
                else "no run through the engine recorded")  # fmt: skip
            print(f"\n{name}: simulated only ({why})")
    print("\nTest split:\n")
    print("| mode | accuracy | remote share | remote calls | cost (USD) | seconds |")
    print("|---|---|---|---|---|---|")
    for label, records in rows:
        print(row(label, summarize(records)))
    print("\nTest accuracy per kind:\n")
    print("| mode | " + " | ".join(kinds) + " |\n|---|" + "---|" * len(kinds))
    for label, records in rows:
        by = dict(zip(test, records, strict=False))
        accs = [summarize([by[i] for i in test if i in by and kind_of[i] == k]).accuracy
                for k in kinds]  # fmt: skip
        print(f"| {label} | " + " | ".join(f"{a:.0%}" for a in accs) + " |")
    print(f"\nGoal: >= {TARGET:.0%} of always-remote's test accuracy ({remote_test.accuracy:.1%}"
          f" -> {TARGET * remote_test.accuracy:.1%}) with <= {MAX_REMOTE:.0%} of its "
          f"{remote_test.remote_calls} remote calls:")  # fmt: skip
    for label, records in verdicts:
        s = summarize(records)
        ok_acc = s.accuracy >= TARGET * remote_test.accuracy
        ok_calls = s.remote_calls <= MAX_REMOTE * remote_test.remote_calls
        share = s.remote_calls / remote_test.remote_calls if remote_test.remote_calls else 0.0
        print(
            f"  {label}: accuracy {s.accuracy / remote_test.accuracy:.1%} of remote, "
            f"{share:.1%} of its remote calls -> {'met' if ok_acc and ok_calls else 'NOT met'}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--limit", type=int, default=0, help="first N tasks of each kind")
    parser.add_argument("--kinds", default="", help="comma-separated kinds (default: all)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="per-task results file")
    parser.add_argument("--from-results", type=Path, help="skip the models: simulate from FILE")
    parser.add_argument("--resume", action="store_true", help="keep finished modes in --out")
    parser.add_argument(
        "--run",
        default="1,2,3",
        help="cascades to run through the engine: "
        "1 the 3-step ladder, 2 SmolLM2 -> lab, 3 the same per kind",
    )
    args = parser.parse_args()  # fmt: skip
    if args.from_results:
        results = json.loads(args.from_results.read_text())
    else:
        run = [int(n) for n in args.run.split(",") if n]
        results = run_models(load_tasks(args), args.out, args.resume, run)
        print(f"per-task results: {args.out}\n")
    report(results)


if __name__ == "__main__":
    main()
