"""Generates the reference pages: docs/workflow-reference.md from the committed workflow
JSON Schema (resources/schema/workflow.schema.json) plus the built-in tools' scope models,
and docs/cli.md from the CLI's argparse help.
Run: .venv/bin/python packaging/gen_docs.py [--check]   (--check: exit 1 if a page is stale)"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "resources" / "schema" / "workflow.schema.json"
DOCS = ROOT / "docs"
HELP_WIDTH = "100"

Schema = dict[str, Any]


def _anchor(name: str) -> str:
    return name.lower().replace(" ", "-")


def _type(prop: Schema, defs: Schema) -> str:
    """A short type for a property: string, integer ≥ 1, list of Node, one of "a", "b"..."""
    if "$ref" in prop:
        name = prop["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#{_anchor(name)})" if name in defs else name
    if "enum" in prop:
        return "one of " + ", ".join(f"`{json.dumps(v)}`" for v in prop["enum"])
    if "const" in prop:
        return f"`{json.dumps(prop['const'])}`"
    if "anyOf" in prop:
        options = [o for o in prop["anyOf"] if o.get("type") != "null"]
        text = " or ".join(_type(o, defs) for o in options)
        return f"{text} or null" if len(options) < len(prop["anyOf"]) else text
    kind = prop.get("type", "any")
    if kind == "array":
        items = prop.get("items")
        return f"list of {_type(items, defs)}" if items else "list"
    if kind == "object" and isinstance(prop.get("additionalProperties"), dict):
        return f"map of {_type(prop['additionalProperties'], defs)}"
    text = " or ".join(kind) if isinstance(kind, list) else str(kind)
    return text + _bounds(prop)


def _bounds(prop: Schema) -> str:
    marks = [
        ("minimum", "≥"),
        ("exclusiveMinimum", ">"),
        ("maximum", "≤"),
        ("exclusiveMaximum", "<"),
        ("minLength", "length ≥"),
        ("maxLength", "length ≤"),
        ("pattern", "matching"),
    ]
    parts = []
    for key, mark in marks:
        if key in prop:
            value = f"`{prop[key]}`" if key == "pattern" else prop[key]
            parts.append(f"{mark} {value}")
    return f" ({', '.join(parts)})" if parts else ""


def _default(prop: Schema, required: bool) -> str:
    if required:
        return "**required**"
    if "default" not in prop:
        return ""
    return f"`{json.dumps(prop['default'], ensure_ascii=False)}`"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _table(model: Schema, defs: Schema) -> list[str]:
    props = model.get("properties", {})
    if not props:
        return ["No settings.", ""]
    required = set(model.get("required", ()))
    lines = ["| key | type | default | description |", "| --- | --- | --- | --- |"]
    for name, prop in props.items():
        lines.append(
            f"| `{name}` | {_cell(_type(prop, defs))} | {_cell(_default(prop, name in required))} "
            f"| {_cell(prop.get('description', ''))} |"
        )
    return [*lines, ""]


def _section(level: str, name: str, model: Schema, defs: Schema) -> list[str]:
    lines = [f"{level} {name}", ""]
    if model.get("description"):
        lines += [" ".join(model["description"].split()), ""]
    return lines + _table(model, defs)


VALIDATION = """\
## What `interlock validate` checks

Each problem is printed as `FILE:LINE:COLUMN: message`, pointing at the YAML that causes
it; `interlock run` checks the same before it starts. Beyond the schema and each kind's
config, a file is refused when:

- a node id is used twice, a kind is unknown, an edge names a missing node or port, an
  input port has two edges (or none, except on a `join`), or an edge joins two types that
  do not match;
- the edges make a cycle: the cycle is reported at the line of every node on it;
- two `output` nodes publish the same name (`config.name`, by default the node id): one
  value would silently replace the other;
- a `retry_on` entry is not an error class: `transient`, `timeout`, `validation`,
  `model`, `config`, `error`, `tool`, `http`, `policy`, `budget`, `offline`, `approval`,
  `rejected`, or `any` (every class);
- a `branch` case's `when` reads a name that is neither one of the branch's input ports
  nor `value` or `inputs` (the sandbox functions `len`, `min`, `max`, `sorted`, `range`
  are allowed);
- a `subworkflow`, or a `map` with `workflow:`, runs a file that comes back to a file
  already on its chain, directly or through further subworkflow and map files (each path
  relative to the file that names it); the chain is reported, e.g.
  `a.yaml -> sub/b.yaml -> a.yaml`;
- an `input` node reads an undeclared input, or a tool grant, scope or approval rule is
  invalid.

A node whose result reaches no output is a warning. A run is refused when a required
input is missing or given as null (`--input n=null`, or `"n": null` in `--inputs-file`),
unless the input's type is `null`."""

TEMPLATES = """\
## Templates and expressions

Template text (the `template` node, `llm` prompt and system, `agent` task and system,
`approval` title and summary, `tool` arguments) is sandboxed Jinja2: the node's input
ports are its variables, and `inputs` holds them all. An undefined name is an error.

An interpolated `None`, `True` or `False` renders as JSON: `null`, `true`, `false`. So
`{"done": {{ flag }}, "note": {{ note }}}` gives `{"done": true, "note": null}`. Only the
value of a `{{ ... }}` as a whole is converted: values inside lists and mappings keep
Python's spelling, and so does text built inside the expression (`{{ flag ~ '' }}` gives
`True`). Write a whole value as JSON with `{{ value | tojson }}` (HTML-safe: `<`, `>`,
`&` and `'` are escaped) or `{{ value | json }}` (text kept as is).

Expressions evaluate to values, which are not converted: a `branch` case's `when`
(`when: "flag and score > 0.5"`), and a `tool` argument that is exactly one `{{ ... }}`,
which passes the value with its type (`limit: "{{ n }}"` gives the number)."""


def workflow_reference(schema: Schema) -> str:
    """The Markdown reference of a workflow file, from its JSON Schema."""
    defs = schema.get("$defs", {})
    lines = [
        "# Workflow file reference",
        "",
        "<!-- Generated by packaging/gen_docs.py from resources/schema/workflow.schema.json",
        "     and the built-in tools' scope models; do not edit by hand. -->",
        "",
        "A workflow is one `*.interlock.yaml` file. `interlock schema` prints the full JSON",
        "Schema; `interlock validate FILE` checks a file against it and against each node",
        "kind's config. Concepts are explained in [concepts.md](concepts.md).",
        "",
        *VALIDATION.splitlines(),
        "",
        *TEMPLATES.splitlines(),
        "",
    ]
    lines += _section("##", "Workflow (top level)", schema, defs)
    for name in sorted(defs):
        lines += _section("###", name, defs[name], defs)
    lines += [
        "## Node kinds",
        "",
        "A node's `config` is checked by its kind. Ports are named in the config (`inputs`),",
        "or fixed by the kind (see [concepts.md](concepts.md#node-kinds)).",
        "",
    ]
    for kind, spec in sorted(schema.get("x-node-kinds", {}).items()):
        config = spec["config"]
        kind_defs = config.get("$defs", {})
        lines += [f"### `{kind}`", "", spec.get("description", "") + ".", ""]
        lines += _table(config, kind_defs)
        for name in sorted(kind_defs):
            lines += _section("####", f"{kind}: {name}", kind_defs[name], kind_defs)
    return "\n".join(lines).rstrip() + "\n"


def governance_reference() -> str:
    """`policy.tool_scopes` per built-in tool and `policy.approval_rules`, from the tools'
    scope models (these keys are free-form in the file schema; each tool checks its own)."""
    from engine.nodes.toolbox import builtin_tools
    from engine.tools.policy import ApprovalRule

    tools = builtin_tools()
    lines = [
        "## Tool scopes (`policy.tool_scopes`)",
        "",
        "A tool may be called only if `policy.allowed_tools` names it; `policy.tool_scopes.<tool>`",
        "says what it may touch. Paths are relative to the workflow file. A `tool` or `agent`",
        "node may narrow a scope (its own `scopes`), never widen it. `interlock tools list`",
        "shows the same.",
        "",
    ]
    for name in tools.names():
        tool = tools.get(name)
        assert tool is not None
        scope = tool.scope.model_json_schema()
        lines += [f"### `{name}` ({tool.side_effect})", "", tool.description, ""]
        lines += _table(scope, {})  # sub-models are listed right below, unlinked
        for sub in sorted(scope.get("$defs", {})):
            lines += _section("####", f"{name}: {sub}", scope["$defs"][sub], {})
    rule = ApprovalRule.model_json_schema()
    lines += ["## Approval rules (`policy.approval_rules`)", ""]
    lines += [" ".join((rule.get("description") or "").split()), ""]
    lines += _table(rule, rule.get("$defs", {}))
    return "\n".join(lines).rstrip() + "\n"


def _subcommands(parser: argparse.ArgumentParser) -> list[tuple[str, argparse.ArgumentParser]]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.append((name, sub))
    return found


def cli_reference(parser: argparse.ArgumentParser) -> str:
    """The Markdown reference of every command, from the argparse help text."""
    lines = [
        "# Command-line reference",
        "",
        "<!-- Generated by packaging/gen_docs.py from the argparse help of engine/cli;",
        "     do not edit by hand. -->",
        "",
        "`interlock` runs everything the app runs, without a display. Exit codes: 0 success",
        "(for `validate`: the file is valid), 1 the run failed, 2 invalid input or usage (for",
        "`validate`: the file has problems), 3 the run is waiting for an approval.",
        "",
        "```text",
        parser.format_help().rstrip(),
        "```",
        "",
    ]

    def walk(prefix: str, node: argparse.ArgumentParser, level: str) -> None:
        for name, sub in _subcommands(node):
            title = f"{prefix} {name}"
            lines.extend([f"{level} `{title}`", "", "```text", sub.format_help().rstrip(), "```"])
            lines.append("")
            walk(title, sub, "###")

    walk("interlock", parser, "##")
    return "\n".join(lines).rstrip() + "\n"


def generated() -> dict[Path, str]:
    """Each generated page and its current text."""
    os.environ["COLUMNS"] = HELP_WIDTH  # argparse wraps help to the terminal width
    sys.path.insert(0, str(ROOT))
    from engine.cli.main import build_parser

    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    return {
        DOCS / "workflow-reference.md": workflow_reference(schema) + "\n" + governance_reference(),
        DOCS / "cli.md": cli_reference(build_parser()),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a page is stale")
    args = parser.parse_args(argv)
    stale = []
    for path, text in generated().items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        if args.check:
            stale.append(path.relative_to(ROOT))
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")
    if stale:
        print("stale (run packaging/gen_docs.py):", *stale, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
