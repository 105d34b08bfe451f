"""Running an evaluation: the workflow once per dataset row, variant and repeat, bounded
in concurrency, each run recorded as a normal run and each scored row stored as it
finishes, so an interrupted evaluation resumes without re-running finished rows."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.approvals.model import ApprovalDecision, ApprovalRecord
from engine.errors import Problem, RunError, RunInterrupted, WorkflowLoadError
from engine.evaluation.datasets import DatasetError, check_inputs, inputs_for, read_dataset
from engine.evaluation.scorers import ChildVerdict, RowContext, score_row
from engine.evaluation.spec import EvalSpec, LoadedEval, ScorerSpec, loads_eval
from engine.evaluation.variants import apply_variant
from engine.nodes.base import NodeRegistry
from engine.nodes.executor import ItemExecutor
from engine.providers.base import ProviderRegistry
from engine.runtime.approval_gate import Approver, deny
from engine.runtime.engine import Engine, PreparedWorkflow
from engine.runtime.run_executor import LOCAL_RUNS, RunExecutor
from engine.runtime.validate import validate
from engine.store.evaluation_records import (
    DatasetInfo,
    EvaluationRecord,
    Example,
    RowResult,
    ScoreResult,
    content_hash,
)
from engine.store.evaluations import EvalStore
from engine.store.protocol import WorkflowVersion
from engine.trace.events import NodeCached, NodeSucceeded
from engine.workflow.loader import (
    LoadedWorkflow,
    dumps_workflow,
    load_workflow,
    loads_workflow,
    workflow_hash,
)
from engine.workflow.model import Workflow

log = logging.getLogger(__name__)


RowCallback = Callable[[RowResult, int, int], None]
"""Called on the event loop after each stored row: (result, rows done, rows in all)."""


async def approve_all(record: ApprovalRecord) -> ApprovalDecision:
    """The `approvals: approve` policy of an eval file: every request is approved."""
    return ApprovalDecision("approve", "evaluation", "approved by the eval file's policy")


APPROVERS: dict[str, Approver] = {"deny": deny, "approve": approve_all}


def new_eval_id() -> str:
    return f"ev{int(time.time() * 1000):011x}{secrets.token_hex(3)}"


@dataclass
class PreparedEval:
    """An eval file resolved against the store: workflow variants compiled, the dataset
    stored and its rows chosen, every scorer's output and child workflow checked."""

    loaded: LoadedEval
    workflow: Workflow
    workflow_path: Path
    variants: dict[str, PreparedWorkflow]
    dataset: DatasetInfo
    examples: list[Example]
    outputs: dict[str, str]
    """Scorer id -> the output name or node.port it reads."""
    children: dict[str, PreparedWorkflow] = field(default_factory=dict)
    """Scorer id -> the judge or validator workflow it runs."""

    @property
    def spec(self) -> EvalSpec:
        return self.loaded.spec


def _fail(loaded: LoadedEval, where: tuple[str | int, ...], message: str) -> WorkflowLoadError:
    return WorkflowLoadError([loaded.locations.problem(where, message)])


def _load_checked(path: Path, registry: NodeRegistry) -> LoadedWorkflow:
    loaded = load_workflow(path)
    report = validate(loaded.workflow, registry, loaded.locations, path.parent, file=path)
    if not report.ok:
        raise WorkflowLoadError(report.errors)
    return loaded


def _output_names(workflow: Workflow) -> list[str]:
    names = []
    for node in workflow.nodes:
        if node.kind == "output":
            name = node.config.get("name") if isinstance(node.config, dict) else None
            names.append(str(name or node.id))
    return names


JUDGE_TEMPLATE = """\
version: 1
metadata: {{name: judge}}
inputs:
  - {{name: input, type: any}}
  - {{name: output, type: any}}
  - {{name: expected, type: any}}
nodes:
  - {{id: input, kind: input}}
  - {{id: output, kind: input}}
  - {{id: expected, kind: input}}
  - id: judge
    kind: llm
    config:
      inputs: [input, output, expected]
      system: >-
        You grade answers. Reply with a JSON object holding a score from 0 to 1
        and a short reason.
      prompt: ''
      max_tokens: 96
      output_schema:
        type: object
        properties:
          score: {{type: number, minimum: 0, maximum: 1}}
          reason: {{type: string}}
        required: [score, reason]
  - {{id: verdict, kind: output}}
edges:
  - {{source: input.value, target: judge.input}}
  - {{source: output.value, target: judge.output}}
  - {{source: expected.value, target: judge.expected}}
  - {{source: judge.json, target: verdict.value}}
"""


def judge_workflow(spec: ScorerSpec) -> Workflow:
    """The one-node workflow a judge scorer runs: its prompt on input, output and expected,
    answering {score, reason} on a schema, routed like any llm node."""
    workflow = loads_workflow(JUDGE_TEMPLATE.format()).workflow
    workflow.metadata.name = f"judge: {spec.id}"
    node = next(n for n in workflow.nodes if n.id == "judge")
    config = dict(node.config)
    config["prompt"] = spec.prompt or ""
    config["max_tokens"] = spec.max_tokens_judge
    if spec.model is not None:
        config["model"] = spec.model
    if spec.route is not None:
        config["route"] = spec.route.model_dump(mode="json", exclude_defaults=True)
    node.config = config
    return workflow


class Evaluator:
    """Runs eval files against one store with one set of providers and node kinds."""

    def __init__(
        self,
        registry: NodeRegistry,
        providers: ProviderRegistry,
        store: EvalStore,
        *,
        items: ItemExecutor | None = None,
        runs: RunExecutor = LOCAL_RUNS,
    ) -> None:
        self.registry = registry
        self.providers = providers
        self.store = store
        self.items = items
        """Where map items of runs made here execute (None: this process)."""
        self.runs = runs
        """Where each row's run executes; scorers' child runs stay here."""

    # ---- preparing ---------------------------------------------------------------------

    def prepare(
        self,
        loaded: LoadedEval,
        *,
        variants: Sequence[str] | None = None,
        workflow: Workflow | None = None,
        dataset_hash: str | None = None,
    ) -> PreparedEval:
        """Resolve an eval file. Raises WorkflowLoadError (located problems) or
        DatasetError; nothing is run. `workflow`/`dataset_hash` pin what a resumed
        evaluation ran instead of what the files hold now."""
        spec = loaded.spec
        workflow_path = loaded.resolve(spec.workflow)
        if workflow is None:
            try:
                workflow = _load_checked(workflow_path, self.registry).workflow
            except WorkflowLoadError as exc:
                where = loaded.locations.find(("workflow",))
                problems = [
                    Problem(f"workflow {spec.workflow}: {p.format(str(workflow_path))}", *where)
                    for p in exc.problems
                ]
                raise WorkflowLoadError(problems) from None
        names = list(variants) if variants else spec.variant_names()
        unknown = [n for n in names if n not in spec.variant_names()]
        if unknown:
            raise _fail(loaded, ("variants",), f"no variant {', '.join(unknown)} in this file")
        engine = Engine(self.registry, self.providers, self.store)
        prepared: dict[str, PreparedWorkflow] = {}
        for name in names:
            changed = apply_variant(workflow, spec.variant(name), loaded)
            report = validate(changed, self.registry, None, workflow_path.parent)
            if not report.ok:
                index = spec.variant_names().index(name)
                raise _fail(
                    loaded,
                    ("variants", index),
                    f"variant {name!r} makes the workflow invalid: {report.errors[0].message}",
                )
            prepared[name] = engine.prepare(changed)
        dataset, examples = self._dataset(loaded, workflow, dataset_hash)
        outputs = self._scorer_outputs(loaded, workflow)
        children = self._children(loaded, engine)
        return PreparedEval(
            loaded, workflow, workflow_path, prepared, dataset, examples, outputs, children
        )

    def _dataset(
        self, loaded: LoadedEval, workflow: Workflow, pinned: str | None
    ) -> tuple[DatasetInfo, list[Example]]:
        spec = loaded.spec
        if pinned is not None:
            info = self.store.find_dataset(pinned)
            if info is None:
                raise RunError(f"dataset version {pinned[:12]} is missing from the store")
            return info, self.store.dataset_examples(info.hash)
        path = loaded.resolve(spec.dataset)
        if path.suffix.lower() in (".jsonl", ".ndjson", ".csv", ".json") or path.exists():
            if not path.exists():
                raise _fail(loaded, ("dataset",), f"dataset file {spec.dataset} does not exist")
            examples, problems = read_dataset(path, workflow)
            if problems:
                raise DatasetError(str(path), problems)
            name = path.name.split(".")[0] or path.stem
            info = self.store.save_dataset(name, content_hash(examples), examples, str(path))
            return info, examples
        found = self.store.find_dataset(spec.dataset)
        if found is None:
            raise _fail(loaded, ("dataset",), f"no dataset file or stored dataset {spec.dataset!r}")
        return found, self.store.dataset_examples(found.hash)

    def _scorer_outputs(self, loaded: LoadedEval, workflow: Workflow) -> dict[str, str]:
        names = _output_names(workflow)
        node_ids = {n.id for n in workflow.nodes}
        chosen: dict[str, str] = {}
        for index, scorer in enumerate(loaded.spec.scorers):
            if scorer.type in ("cost", "latency"):
                chosen[scorer.id] = scorer.output or (names[0] if names else "")
                continue
            output = scorer.output
            if output is None:
                if len(names) != 1:
                    raise _fail(
                        loaded,
                        ("scorers", index),
                        f"scorer {scorer.id!r}: the workflow has {len(names)} outputs "
                        f"({', '.join(names) or 'none'}); name one with `output`",
                    )
                output = names[0]
            elif output not in names:
                node, dot, _port = output.partition(".")
                if not dot or node not in node_ids:
                    raise _fail(
                        loaded,
                        ("scorers", index, "output"),
                        f"scorer {scorer.id!r}: {output!r} is neither a workflow output "
                        f"({', '.join(names) or 'none'}) nor a node.port",
                    )
            chosen[scorer.id] = output
        return chosen

    def _children(self, loaded: LoadedEval, engine: Engine) -> dict[str, PreparedWorkflow]:
        children: dict[str, PreparedWorkflow] = {}
        for index, scorer in enumerate(loaded.spec.scorers):
            if scorer.type == "judge":
                children[scorer.id] = engine.prepare(judge_workflow(scorer))
            elif scorer.type == "workflow" and scorer.workflow is not None:
                path = loaded.resolve(scorer.workflow)
                try:
                    child = _load_checked(path, self.registry).workflow
                except WorkflowLoadError as exc:
                    first = exc.problems[0].format(str(path)) if exc.problems else str(exc)
                    raise _fail(
                        loaded, ("scorers", index, "workflow"), f"validator workflow: {first}"
                    ) from None
                declared = {d.name for d in child.inputs}
                if not declared <= {"input", "output", "expected"} or "score" not in _output_names(
                    child
                ):
                    raise _fail(
                        loaded,
                        ("scorers", index, "workflow"),
                        "a validator workflow takes inputs input, output, expected "
                        "and has an output named score",
                    )
                children[scorer.id] = engine.prepare(child)
        return children

    # ---- running -----------------------------------------------------------------------

    async def run(
        self,
        prepared: PreparedEval,
        *,
        limit: int | None = None,
        rows: Sequence[int] | None = None,
        concurrency: int | None = None,
        on_row: RowCallback | None = None,
        parent_eval_id: str | None = None,
    ) -> EvaluationRecord:
        """Start a new evaluation and run it to the end."""
        indexes = [e.index for e in prepared.examples]
        if rows is not None:
            wanted = set(rows)
            indexes = [i for i in indexes if i in wanted]
        if limit is not None:
            indexes = indexes[: max(limit, 0)]
        covers_all = rows is None and limit is None
        spec = prepared.spec
        variants_run = list(prepared.variants)
        spec_data = spec.model_dump(mode="json", by_alias=True, exclude_none=True)
        spec_data["run_variants"] = variants_run
        record = EvaluationRecord(
            eval_id=new_eval_id(),
            name=spec.name,
            workflow_hash=self._save_base(prepared),
            dataset_hash=prepared.dataset.hash,
            dataset_name=prepared.dataset.name,
            status="running",
            started_at=time.time(),
            spec=spec_data,
            eval_path=str(prepared.loaded.path) if prepared.loaded.path else None,
            parent_eval_id=parent_eval_id,
            rows=None if covers_all else tuple(indexes),
        )
        self.store.create_evaluation(record)
        return await self._run_rows(record, prepared, indexes, concurrency, on_row)

    def _save_base(self, prepared: PreparedEval) -> str:
        """Store the workflow before variants change it, so a resume rebuilds them."""
        digest = workflow_hash(prepared.workflow)
        self.store.save_workflow(
            WorkflowVersion(
                digest,
                prepared.workflow.metadata.name,
                dumps_workflow(prepared.workflow),
                str(prepared.workflow_path),
            )
        )
        return digest

    async def resume(
        self,
        eval_id: str,
        *,
        concurrency: int | None = None,
        on_row: RowCallback | None = None,
    ) -> EvaluationRecord:
        """Finish an interrupted evaluation: rows already stored are kept, the rest run."""
        record = self.store.get_evaluation(eval_id)
        if record is None:
            raise RunError(f"no evaluation {eval_id!r} in the store")
        prepared = self.reopen(record)
        indexes = (
            list(record.rows) if record.rows is not None else [e.index for e in prepared.examples]
        )
        self.store.set_evaluation_status(eval_id, "running", None)
        return await self._run_rows(record, prepared, indexes, concurrency, on_row)

    def reopen(self, record: EvaluationRecord) -> PreparedEval:
        """The prepared form of a stored evaluation: its spec as run, its dataset version,
        and its base workflow from the store (the files may have changed since)."""
        import yaml

        spec_data = dict(record.spec)
        variants = spec_data.pop("run_variants", None)
        text = yaml.safe_dump(spec_data, sort_keys=False)
        path = Path(record.eval_path) if record.eval_path else None
        loaded = loads_eval(text, path)
        base = self.store.get_workflow(record.workflow_hash)
        if base is None:
            raise RunError(
                f"workflow version {record.workflow_hash[:12]} is missing from the store"
            )
        workflow = loads_workflow(base.content).workflow
        return self.prepare(
            loaded, variants=variants, workflow=workflow, dataset_hash=record.dataset_hash
        )

    def prepare_rerun(self, earlier: EvaluationRecord) -> PreparedEval:
        """What re-running an evaluation's failing rows runs: the eval file and workflow
        as they are now (the point is to see whether a change fixed them), on the same
        dataset version and variants; the stored spec when the eval file is gone."""
        if earlier.eval_path is None or not Path(earlier.eval_path).is_file():
            return self.reopen(earlier)
        from engine.evaluation.spec import load_eval

        loaded = load_eval(earlier.eval_path)
        ran = earlier.spec.get("run_variants")
        known = set(loaded.spec.variant_names())
        variants = [v for v in ran if v in known] if isinstance(ran, list) else None
        return self.prepare(loaded, variants=variants or None, dataset_hash=earlier.dataset_hash)

    async def _run_rows(
        self,
        record: EvaluationRecord,
        prepared: PreparedEval,
        indexes: list[int],
        concurrency: int | None,
        on_row: RowCallback | None,
    ) -> EvaluationRecord:
        spec = prepared.spec
        done = {r.key for r in self.store.row_results(record.eval_id)}
        by_index = {e.index: e for e in prepared.examples}
        work = [
            (variant, by_index[i], repeat)
            for i in indexes
            if i in by_index
            for variant in prepared.variants
            for repeat in range(spec.repeats)
            if (variant, i, repeat) not in done
        ]
        total = len(done) + len(work)
        finished = len(done)
        gate = asyncio.Semaphore(concurrency or spec.concurrency)
        engine = Engine(
            self.registry,
            self.providers,
            self.store,
            use_cache=spec.use_cache,
            approver=APPROVERS[spec.approvals],
            executor=self.items,
        )

        async def one(variant: str, example: Example, repeat: int) -> None:
            nonlocal finished
            async with gate:
                result = await self._row(engine, record, prepared, variant, example, repeat)
            self.store.put_row_result(result)
            finished += 1
            if on_row is not None:
                on_row(result, finished, total)

        status = "succeeded"
        try:
            await asyncio.gather(*(one(*item) for item in work))
        except asyncio.CancelledError:
            status = "interrupted"
            self.store.set_evaluation_status(record.eval_id, status, time.time())
            raise
        except RunInterrupted as exc:
            status = "interrupted"
            self.store.set_evaluation_status(record.eval_id, status, time.time())
            raise RunInterrupted(
                f"evaluation {record.eval_id} was interrupted: {exc}; its finished rows are "
                f"kept: `interlock eval resume {record.eval_id}` runs the rest (--no-cluster: "
                "here)"
            ) from exc
        except Exception:
            status = "failed"
            self.store.set_evaluation_status(record.eval_id, status, time.time())
            raise
        self.store.set_evaluation_status(record.eval_id, status, time.time())
        found = self.store.get_evaluation(record.eval_id)
        assert found is not None
        return found

    async def _row(
        self,
        engine: Engine,
        record: EvaluationRecord,
        prepared: PreparedEval,
        variant: str,
        example: Example,
        repeat: int,
    ) -> RowResult:
        workflow = prepared.variants[variant]
        inputs = inputs_for(example, workflow.workflow)
        base = RowResult(
            record.eval_id, variant, example.index, repeat, None, "invalid", {}, {}, False
        )
        if reasons := check_inputs(inputs, workflow.workflow):
            return _replace(base, error="; ".join(reasons), finished_at=time.time())
        try:
            run = await self.runs.run(
                engine,
                workflow,
                inputs,
                base_dir=prepared.workflow_path.parent,
                workflow_path=str(prepared.workflow_path),
            )
        except RunError as exc:
            return _replace(base, error=str(exc), finished_at=time.time())
        if run.status == "interrupted":  # not the row's fault: `eval resume` runs it again
            raise RunInterrupted(f"row {example.index}: {run.error}")
        calls, remote, node_outputs = self._run_facts(run.run_id)
        scores: dict[str, ScoreResult] = {}
        for scorer in prepared.spec.scorers:
            name = prepared.outputs[scorer.id]
            value = _read_output(name, run.outputs, node_outputs)
            context = RowContext(
                example,
                inputs,
                value,
                example.expected_for(scorer.expected or name),
                run.run_id,
                run.cost_usd,
                run.tokens,
                run.duration_s,
            )

            async def child(
                kind: str, values: dict[str, Any], spec: ScorerSpec, parent: str | None
            ) -> ChildVerdict:
                return await self._child(engine, prepared, kind, values, spec, parent)

            scores[scorer.id] = await score_row(scorer, context, child)
        completed = run.status == "succeeded" or self._stopped_at_denial(run.run_id)
        passed = completed and all(s.passed for s in scores.values())
        return RowResult(
            eval_id=record.eval_id,
            variant=variant,
            row_index=example.index,
            repeat=repeat,
            run_id=run.run_id,
            run_status=run.status,
            outputs=run.outputs,
            scores=scores,
            passed=passed,
            cost_usd=run.cost_usd,
            tokens=run.tokens,
            model_calls=calls,
            remote_calls=remote,
            latency_s=run.duration_s,
            scoring_cost_usd=sum(s.cost_usd for s in scores.values()),
            error=run.error,
            finished_at=time.time(),
        )

    async def _child(
        self,
        engine: Engine,
        prepared: PreparedEval,
        kind: str,
        values: dict[str, Any],
        spec: ScorerSpec,
        parent: str | None,
    ) -> ChildVerdict:
        child = prepared.children[spec.id]
        declared = {d.name for d in child.workflow.inputs}
        inputs = {k: v for k, v in values.items() if k in declared}
        base_dir = prepared.loaded.base_dir
        try:
            run = await engine.run(child, inputs, base_dir=base_dir, parent_run_id=parent)
        except RunError as exc:
            return ChildVerdict(None, "", 0.0, None, str(exc))
        if run.status != "succeeded":
            return ChildVerdict(None, "", run.cost_usd, run.run_id, run.error or run.status)
        if kind == "judge":
            verdict = run.outputs.get("verdict")
            verdict = verdict if isinstance(verdict, dict) else {}
            return ChildVerdict(
                verdict.get("score"), str(verdict.get("reason", "")), run.cost_usd, run.run_id
            )
        return ChildVerdict(
            run.outputs.get("score"), str(run.outputs.get("reason") or ""), run.cost_usd, run.run_id
        )

    def _stopped_at_denial(self, run_id: str) -> bool:
        """The run failed only where an approval was rejected (an approval node, or a tool
        call an approval rule gated): with `approvals: deny` that is where an evaluation
        means to stop (outputs before the gate are still scored)."""
        from engine.tools.events import ToolGated

        gated = {
            e.node_id
            for e in self.store.events(run_id)
            if isinstance(e, ToolGated) and e.decision == "reject"
        }
        failed = [a for a in self.store.attempts(run_id) if a.status == "failed"]
        return bool(failed) and all(
            a.error_class == "rejected" or a.node_id in gated for a in failed
        )

    def _run_facts(self, run_id: str) -> tuple[int, int, dict[str, dict[str, Any]]]:
        """(model calls, remote ones, each node's outputs) from the run's trace."""
        from engine.routing.events import ModelCall

        calls = remote = 0
        outputs: dict[str, dict[str, Any]] = {}
        for event in self.store.events(run_id):
            if isinstance(event, ModelCall):
                calls += 1
                remote += int(event.remote)
            elif isinstance(event, NodeSucceeded | NodeCached) and event.node_id is not None:
                outputs[event.node_id] = event.outputs
        return calls, remote, outputs


def _read_output(
    name: str, outputs: dict[str, Any], node_outputs: dict[str, dict[str, Any]]
) -> Any:
    if name in outputs:
        return outputs[name]
    node, _, port = name.partition(".")
    return node_outputs.get(node, {}).get(port)


def _replace(result: RowResult, **changes: Any) -> RowResult:
    import dataclasses

    return dataclasses.replace(result, **changes)
