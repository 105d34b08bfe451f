"""The eval file (`*.eval.yaml`): which workflow, which dataset, how to score it, and which
variants to compare. Strict pydantic types, read with the workflow file's safe YAML reader
so every problem points at FILE:LINE:COL.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from engine.errors import Problem, WorkflowLoadError
from engine.routing.policy import RoutePolicy
from engine.workflow.loader import MAX_FILE_BYTES, Locations, parse_yaml

EVAL_VERSION = 1
ScorerType = Literal[
    "exact",
    "json_fields",
    "contains",
    "regex",
    "numeric",
    "schema",
    "set_overlap",
    "cost",
    "latency",
    "judge",
    "workflow",
]
BINARY_THRESHOLD = 1.0
GRADED_THRESHOLD = 0.5
_GRADED: frozenset[str] = frozenset({"judge", "workflow", "set_overlap", "json_fields", "contains"})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScorerSpec(_Strict):
    """One scorer. `output` names a workflow output (default: the workflow's only output)
    or a node's port as `node.port`; `expected` names the dataset's expected column
    (default: `output`, then the bare `expected` column)."""

    id: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_\-]{0,63}$", description="Unique name.")
    type: ScorerType
    output: str | None = Field(default=None, description="Output name, or node.port.")
    expected: str | None = Field(default=None, description="Expected column (expected.NAME).")
    threshold: float | None = Field(
        default=None, ge=0, le=1, description="A row passes this scorer at or above this score."
    )
    keys: list[str] = Field(default_factory=list, description="json_fields: keys to compare.")
    ignore_case: bool = Field(default=False, description="exact/contains: compare casefolded.")
    pattern: str | None = Field(default=None, description="regex: must match the output.")
    tolerance: float = Field(default=0.0, ge=0, description="numeric: absolute tolerance.")
    relative: bool = Field(default=False, description="numeric: tolerance is a fraction.")
    json_schema: dict[str, Any] | None = Field(
        default=None, alias="schema", description="schema: the JSON Schema the output must meet."
    )
    metric: Literal["f1", "precision", "recall"] = Field(
        default="f1", description="set_overlap: which measure is the score."
    )
    max_usd: float | None = Field(default=None, ge=0, description="cost: most USD per row.")
    max_tokens: int | None = Field(default=None, ge=0, description="cost: most tokens per row.")
    max_s: float | None = Field(default=None, gt=0, description="latency: most seconds per row.")
    prompt: str | None = Field(
        default=None,
        description="judge: template over input, output, expected; the model answers a score.",
    )
    model: str | None = Field(default=None, description="judge: pinned model id.")
    route: RoutePolicy | None = Field(default=None, description="judge: its route policy.")
    max_tokens_judge: int = Field(default=96, ge=8, le=4096, alias="judge_max_tokens")
    workflow: str | None = Field(
        default=None,
        description="workflow: a validator workflow file taking input, output, expected "
        "and returning score (0..1) and optionally reason.",
    )

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @model_validator(mode="after")
    def _needs(self) -> ScorerSpec:
        needs = {
            "regex": ("pattern", self.pattern),
            "schema": ("schema", self.json_schema),
            "judge": ("prompt", self.prompt),
            "workflow": ("workflow", self.workflow),
        }
        if self.type in needs and needs[self.type][1] is None:
            raise ValueError(f"a {self.type} scorer needs `{needs[self.type][0]}`")
        if self.type == "cost" and self.max_usd is None and self.max_tokens is None:
            raise ValueError("a cost scorer needs `max_usd` or `max_tokens`")
        if self.type == "latency" and self.max_s is None:
            raise ValueError("a latency scorer needs `max_s`")
        if self.type == "regex" and self.pattern is not None:
            import re

            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise ValueError(f"pattern is not a valid regular expression: {exc}") from None
        return self

    @property
    def pass_threshold(self) -> float:
        if self.threshold is not None:
            return self.threshold
        return GRADED_THRESHOLD if self.type in _GRADED else BINARY_THRESHOLD


class NodeOverride(_Strict):
    """What a variant changes in one llm node (for a map, in its llm template)."""

    route: dict[str, Any] | None = Field(
        default=None, description="Route policy fields merged over the node's route."
    )
    model: str | None = None
    prompt: str | None = None
    system: str | None = None
    temperature: float | None = Field(default=None, ge=0, le=2)
    max_tokens: int | None = Field(default=None, ge=1, le=32768)


class Variant(_Strict):
    """A named way to run the workflow; every variant runs on the same rows."""

    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_\-.]{0,63}$")
    description: str = ""
    nodes: dict[str, NodeOverride] = Field(default_factory=dict)


class EvalSpec(_Strict):
    """A `*.eval.yaml` file."""

    version: int = Field(default=EVAL_VERSION, ge=1, le=EVAL_VERSION)
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    workflow: str = Field(description="The workflow file, relative to the eval file.")
    dataset: str = Field(
        description="A .jsonl/.csv file relative to the eval file (imported on run), or the "
        "name (or NAME@HASH) of a stored dataset."
    )
    scorers: list[ScorerSpec] = Field(min_length=1)
    repeats: int = Field(default=1, ge=1, le=100)
    concurrency: int = Field(default=2, ge=1, le=64)
    approvals: Literal["deny", "approve"] = Field(
        default="deny", description="How approval requests in evaluated runs are answered."
    )
    use_cache: bool = Field(default=False, description="Reuse cached node results.")
    min_score: float | dict[str, float] | None = Field(
        default=None,
        description="The CI gate: every scorer's mean (or the named scorers') must reach it.",
    )
    min_pass_rate: float | None = Field(default=None, ge=0, le=1)
    variants: list[Variant] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> EvalSpec:
        for label, names in (
            ("scorer id", [s.id for s in self.scorers]),
            ("variant name", [v.name for v in self.variants]),
        ):
            seen: set[str] = set()
            for name in names:
                if name in seen:
                    raise ValueError(f"duplicate {label} {name!r}")
                seen.add(name)
        if isinstance(self.min_score, dict):
            unknown = set(self.min_score) - {s.id for s in self.scorers}
            if unknown:
                raise ValueError(f"min_score names unknown scorers: {', '.join(sorted(unknown))}")
        return self

    def variant_names(self) -> list[str]:
        return [v.name for v in self.variants] or [DEFAULT_VARIANT]

    def variant(self, name: str) -> Variant:
        for variant in self.variants:
            if variant.name == name:
                return variant
        if name == DEFAULT_VARIANT and not self.variants:
            return Variant(name=DEFAULT_VARIANT)
        raise KeyError(name)


DEFAULT_VARIANT = "default"


class LoadedEval:
    """An eval file as read: the spec, where its values came from, and its folder."""

    def __init__(self, spec: EvalSpec, locations: Locations, path: Path | None) -> None:
        self.spec = spec
        self.locations = locations
        self.path = path

    @property
    def base_dir(self) -> Path:
        return self.path.parent if self.path is not None else Path.cwd()

    def resolve(self, relative: str) -> Path:
        return (self.base_dir / relative).resolve()


def loads_eval(text: str, path: Path | None = None) -> LoadedEval:
    """Read eval-file text. Raises WorkflowLoadError with located problems."""
    data, locations = parse_yaml(text)
    if not isinstance(data, dict):
        raise WorkflowLoadError([Problem("an eval file must be a YAML mapping")])
    try:
        spec = EvalSpec.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False):
            loc = tuple(err["loc"])
            where = ".".join(str(p) for p in loc) or "(top level)"
            problems.append(locations.problem(loc, f"{where}: {err['msg']}"))
        raise WorkflowLoadError(problems) from None
    return LoadedEval(spec, locations, path)


def load_eval(path: str | Path) -> LoadedEval:
    """Read an eval file. Raises WorkflowLoadError (with located problems)."""
    path = Path(path)
    try:
        if not path.is_file():
            raise WorkflowLoadError([Problem("not a regular file")])
        if path.stat().st_size > MAX_FILE_BYTES:
            raise WorkflowLoadError([Problem(f"file is larger than {MAX_FILE_BYTES} bytes")])
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise WorkflowLoadError([Problem(f"file is not UTF-8 text: {exc.reason}")]) from None
    except OSError as exc:
        raise WorkflowLoadError([Problem(f"cannot read file: {exc.strerror or exc}")]) from None
    return loads_eval(text, path.resolve())


def eval_json_schema() -> dict[str, Any]:
    """The eval file's JSON Schema (for editors; `interlock eval schema`)."""
    schema = EvalSpec.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Interlock eval file"
    return schema
