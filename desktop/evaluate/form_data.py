"""What the eval-file form holds, as plain values: scorer and variant rows, turned into the
content of a `*.eval.yaml` (paths relative to where it is saved) and back."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from engine.evaluation.spec import EvalSpec, ScorerSpec

SCORER_TYPES = [
    "exact",
    "contains",
    "regex",
    "numeric",
    "json_fields",
    "set_overlap",
    "schema",
    "cost",
    "latency",
    "judge",
    "workflow",
]
SETTING_HINTS: dict[str, str] = {
    "exact": "ignore case? (yes)",
    "contains": "ignore case? (yes)",
    "regex": "pattern the output must match",
    "numeric": "tolerance, e.g. 0.01",
    "json_fields": "keys to compare: a, b",
    "set_overlap": "f1, precision or recall",
    "schema": 'JSON Schema, e.g. {"type": "object"}',
    "cost": "most USD per row, or e.g. 400 tokens",
    "latency": "most seconds per row",
    "judge": "prompt: grade {{ output }} against {{ expected }}",
    "workflow": "validator workflow file",
}
"""What the Setting column means for each scorer type."""
SCORER_TIPS: dict[str, str] = {
    "exact": "1 when the output equals the expected value, else 0",
    "contains": "the share of the expected text (or list of texts) found in the output",
    "regex": "1 when the output matches a pattern (no expected value needed)",
    "numeric": "1 when the output is within a tolerance of the expected number",
    "json_fields": "the share of the chosen keys whose values match the expected object's",
    "set_overlap": "overlap of the output's items with the expected items (F1 by default)",
    "schema": "1 when the output meets a JSON Schema",
    "cost": "1 when the row cost at most so much (USD or tokens)",
    "latency": "1 when the row took at most so many seconds",
    "judge": "a model grades the output from 0 to 1, guided by your prompt",
    "workflow": "a validator workflow returns the score",
}
"""What each scorer type measures, for the type menu's tooltips."""
DATASET_SUFFIXES = (".jsonl", ".ndjson", ".csv", ".json")


class FormError(ValueError):
    """A form value that cannot be written as it is."""


@dataclass
class ScorerRow:
    id: str
    type: str = "exact"
    output: str = ""
    expected: str = ""
    threshold: str = ""
    setting: str = ""


@dataclass
class VariantRow:
    """One node override of a variant; several rows with one name make one variant, and a
    row without a node is a variant that changes nothing (the baseline)."""

    name: str
    node: str = ""
    model: str = ""
    route: str = ""
    prompt: str = ""
    temperature: str = ""


@dataclass
class EvalForm:
    name: str
    workflow: str
    """The workflow file (absolute, or relative to the eval file)."""
    dataset: str
    """A stored dataset's name, or a dataset file."""
    scorers: list[ScorerRow] = field(default_factory=list)
    variants: list[VariantRow] = field(default_factory=list)
    concurrency: int = 2
    min_pass_rate: float | None = None


def is_dataset_file(text: str) -> bool:
    return Path(text).suffix.lower() in DATASET_SUFFIXES


def relative(path: str, folder: Path) -> str:
    """`path` relative to `folder` when both are on one drive, else absolute."""
    try:
        return Path(os.path.relpath(Path(path).resolve(), folder.resolve())).as_posix()
    except ValueError:
        return str(Path(path).resolve())


def _number(text: str, what: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise FormError(f"{what}: {text!r} is not a number") from None


def _mapping(text: str, what: str) -> dict[str, Any]:
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        raise FormError(f"{what}: not a JSON or YAML mapping") from None
    if not isinstance(value, dict):
        raise FormError(f"{what}: write a mapping such as {{prefer: local}}")
    return value


def scorer_data(row: ScorerRow) -> dict[str, Any]:
    what = f"scorer {row.id or '(no id)'}"
    data: dict[str, Any] = {"id": row.id.strip(), "type": row.type}
    for key in ("output", "expected"):
        value = getattr(row, key).strip()
        if value:
            data[key] = value
    if row.threshold.strip():
        data["threshold"] = _number(row.threshold.strip(), f"{what} threshold")
    setting = row.setting.strip()
    if not setting:
        return data
    if row.type in ("exact", "contains"):
        data["ignore_case"] = setting.lower() in ("yes", "true", "1", "ignore case", "y")
    elif row.type == "regex":
        data["pattern"] = setting
    elif row.type == "numeric":
        data["tolerance"] = _number(setting, f"{what} tolerance")
    elif row.type == "json_fields":
        data["keys"] = [k.strip() for k in setting.split(",") if k.strip()]
    elif row.type == "set_overlap":
        data["metric"] = setting
    elif row.type == "schema":
        data["schema"] = _mapping(setting, f"{what} schema")
    elif row.type == "cost":
        number, _, unit = setting.partition(" ")
        if unit.strip().startswith("tok"):
            data["max_tokens"] = int(_number(number, f"{what} tokens"))
        else:
            data["max_usd"] = _number(setting.lstrip("$"), f"{what} USD")
    elif row.type == "latency":
        data["max_s"] = _number(setting.rstrip("s "), f"{what} seconds")
    elif row.type == "judge":
        data["prompt"] = setting
    elif row.type == "workflow":
        data["workflow"] = setting
    return data


def variants_data(rows: list[VariantRow]) -> list[dict[str, Any]]:
    variants: dict[str, dict[str, Any]] = {}
    for row in rows:
        name = row.name.strip()
        if not name:
            continue
        variant = variants.setdefault(name, {"name": name})
        node = row.node.strip()
        if not node:
            continue
        override: dict[str, Any] = {}
        if row.model.strip():
            override["model"] = row.model.strip()
        if row.route.strip():
            override["route"] = _mapping(row.route, f"variant {name} route")
        if row.prompt.strip():
            override["prompt"] = row.prompt
        if row.temperature.strip():
            override["temperature"] = _number(row.temperature, f"variant {name} temperature")
        variant.setdefault("nodes", {})[node] = override
    return list(variants.values())


def spec_data(form: EvalForm, folder: Path | None) -> dict[str, Any]:
    """The eval file's content; with `folder` (where it is saved) file paths are made
    relative to it, so the folder can move. Raises FormError."""
    workflow = form.workflow.strip()
    if not workflow:
        raise FormError("choose the workflow to evaluate")
    dataset = form.dataset.strip()
    if not dataset:
        raise FormError("choose a dataset: a stored one, or a .jsonl or .csv file")
    if folder is not None:
        workflow = relative(workflow, folder)
        if is_dataset_file(dataset):
            dataset = relative(dataset, folder)
    data: dict[str, Any] = {
        "version": 1,
        "name": form.name.strip() or "Evaluation",
        "workflow": workflow,
        "dataset": dataset,
        "concurrency": form.concurrency,
    }
    if form.min_pass_rate is not None:
        data["min_pass_rate"] = form.min_pass_rate
    data["scorers"] = [scorer_data(r) for r in form.scorers if r.id.strip() or r.setting.strip()]
    variants = variants_data(form.variants)
    if variants:
        data["variants"] = variants
    return data


def dump_eval(data: dict[str, Any]) -> str:
    """YAML in the order the form shows, one line per scorer when it fits."""
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def _setting(scorer: ScorerSpec) -> str:
    if scorer.type in ("exact", "contains"):
        return "yes" if scorer.ignore_case else ""
    value: Any = {
        "regex": scorer.pattern,
        "numeric": scorer.tolerance or None,
        "json_fields": ", ".join(scorer.keys) or None,
        "set_overlap": scorer.metric,
        "schema": json.dumps(scorer.json_schema) if scorer.json_schema else None,
        "latency": scorer.max_s,
        "judge": scorer.prompt,
        "workflow": scorer.workflow,
    }.get(scorer.type)
    if scorer.type == "cost":
        value = f"{scorer.max_tokens} tokens" if scorer.max_tokens is not None else scorer.max_usd
    return "" if value is None else str(value)


def form_from_spec(spec: EvalSpec, base_dir: Path) -> EvalForm:
    """The form showing an eval file (its workflow and dataset files made absolute)."""
    dataset = spec.dataset
    if is_dataset_file(dataset) or (base_dir / dataset).exists():
        dataset = str((base_dir / dataset).resolve())
    scorers = [
        ScorerRow(
            s.id,
            s.type,
            s.output or "",
            s.expected or "",
            "" if s.threshold is None else f"{s.threshold:g}",
            _setting(s),
        )
        for s in spec.scorers
    ]
    variants: list[VariantRow] = []
    for v in spec.variants:
        if not v.nodes:
            variants.append(VariantRow(v.name))
        for node, o in v.nodes.items():
            variants.append(
                VariantRow(
                    v.name,
                    node,
                    o.model or "",
                    json.dumps(o.route) if o.route else "",
                    o.prompt or "",
                    "" if o.temperature is None else f"{o.temperature:g}",
                )
            )
    return EvalForm(
        spec.name,
        str((base_dir / spec.workflow).resolve()),
        dataset,
        scorers,
        variants,
        spec.concurrency,
        spec.min_pass_rate,
    )
