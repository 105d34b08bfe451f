"""Every text format parsed back and checked for the facts of the run: HTML (structure, no
network, no script), Markdown, the JSON export (against its schema), OTLP/JSON (structure and
the protobuf mapping); and the canary secrets appear in none of them."""

from __future__ import annotations

import asyncio
import base64
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from engine.reports import build_report, render
from engine.reports import otel_names as ot
from engine.reports.schema import run_export_schema
from engine.runtime.engine import Engine
from tests.engine.reports import runs
from tests.engine.reports.conftest import Runs
from tests.engine.reports.runs import CANARIES
from tests.support.kinds import make_registry

ROOT = Path(__file__).resolve().parents[3]
SCHEMA_FILE = ROOT / "resources" / "schema" / "run-export.schema.json"


class Collector(HTMLParser):
    """Tags, attributes and visible text of an HTML document."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def count(self, tag: str) -> int:
        return sum(1 for t, _ in self.tags if t == tag)


def parse_html(text: str) -> Collector:
    collector = Collector()
    collector.feed(text)
    collector.close()
    return collector


def text_of(sample: Runs, run_id: str, fmt: str) -> str:
    store = sample.resumed_store if run_id == sample.resumed else sample.store
    content = render(run_id, store, fmt)
    assert isinstance(content, str)
    return content


def test_html_is_one_self_contained_file_with_the_facts(sample: Runs) -> None:
    html = text_of(sample, sample.rich, "html")
    doc = parse_html(html)
    assert doc.count("script") == 0 and doc.count("link") == 0 and doc.count("svg") == 1
    for _, attrs in doc.tags:
        for name in ("src", "href"):
            assert not (attrs.get(name) or "").startswith(("http:", "https:", "//"))
    report = build_report(sample.store, sample.rich)
    details = [a.get("id") for t, a in doc.tags if t == "details"]
    assert details == [f"node-{n.node_id}" for n in report.nodes]
    text = " ".join(doc.text)
    for fact in (
        "triage tickets",
        sample.rich,
        report.workflow_hash,
        "$0.0125",
        "big-remote",
        "escalation",
        "Label this: recovered",
        "not granted by the workflow policy",
        "hardware/printer",
        report.governance.audit_head or "?",
        "@media print",
    ):
        assert fact in text, fact
    assert re.search(r"<rect[^>]+fill=\"#e08a2c\"", html)  # the failed, retried attempt bar


def test_html_autoescapes_values(sample: Runs) -> None:
    store = sample.store
    run = store.get_run(sample.failed)
    assert run is not None
    html = text_of(sample, sample.failed, "html")
    assert "<script" not in html
    assert "&lt;" not in json.dumps(run.inputs)  # nothing to escape here; escaping is on ...
    from engine.reports.html import _environment

    assert _environment().autoescape is True  # ... by the environment itself


def test_markdown_has_tables_timeline_and_sections(sample: Runs) -> None:
    md = text_of(sample, sample.rich, "md")
    assert md.startswith("## Run report: triage tickets — succeeded")
    assert f"| Run | `{sample.rich}` |" in md
    assert "| `big-remote` | remote | 1 |" in md
    assert "```text" in md and re.search(r"^flaky +\|[ x~#]*x[ x~#]*\|", md, re.M)
    assert "### `classify` (llm) — succeeded" in md
    assert "```diff" in md and '+  "label": "hardware/printer"' in md
    assert "- Refused calls: 1" in md


@pytest.mark.parametrize("which", ["rich", "failed", "approval", "resumed"])
def test_json_export_validates_against_the_committed_schema(sample: Runs, which: str) -> None:
    run_id = getattr(sample, which)
    data = json.loads(text_of(sample, run_id, "json"))
    jsonschema.Draft202012Validator(json.loads(SCHEMA_FILE.read_text())).validate(data)
    assert (data["format"], data["version"], data["redacted"]) == ("interlock-run", 1, True)
    store = sample.resumed_store if which == "resumed" else sample.store
    assert [e["seq"] for e in data["events"]] == [e.seq for e in store.events(run_id)]
    assert data["workflow"]["content"].startswith("version: 1")


def test_committed_schema_is_the_generated_one() -> None:
    assert json.loads(SCHEMA_FILE.read_text()) == run_export_schema()


def _attrs(span: dict[str, Any]) -> dict[str, Any]:
    return {a["key"]: next(iter(a["value"].values())) for a in span["attributes"]}


def test_otlp_spans_follow_the_mapping_and_genai_conventions(sample: Runs) -> None:
    data = json.loads(text_of(sample, sample.rich, "otlp"))
    (resource,) = data["resourceSpans"]
    assert {"key": "service.name", "value": {"stringValue": "interlock"}} in resource["resource"][
        "attributes"
    ]
    spans = resource["scopeSpans"][0]["spans"]
    (root,) = [s for s in spans if "parentSpanId" not in s]
    assert {len(s["traceId"]) for s in spans} == {32} and {len(s["spanId"]) for s in spans} == {16}
    assert len({s["spanId"] for s in spans}) == len(spans)
    assert all(re.fullmatch(r"[0-9a-f]+", s["traceId"] + s["spanId"]) for s in spans)
    assert all(isinstance(s["startTimeUnixNano"], str) for s in spans)
    ids = {s["spanId"]: s for s in spans}
    assert all(s.get("parentSpanId") in ids for s in spans if s is not root)
    assert _attrs(root)[ot.RUN_ID] == sample.rich and root["status"]["code"] == 1
    chats = [
        s
        for s in spans
        if _attrs(s).get(ot.GEN_AI_OPERATION_NAME) == "chat"
        and ot.GEN_AI_REQUEST_MODEL in _attrs(s)
    ]
    assert [
        (_attrs(s)[ot.GEN_AI_REQUEST_MODEL], _attrs(s)[ot.GEN_AI_USAGE_INPUT_TOKENS]) for s in chats
    ] == [("tiny-local", "40"), ("big-remote", "40")]
    assert _attrs(chats[1])[ot.GEN_AI_PROVIDER_NAME] == "remote:cloud"
    tools = [s for s in spans if _attrs(s).get(ot.GEN_AI_OPERATION_NAME) == "execute_tool"]
    assert sorted(_attrs(s)[ot.GEN_AI_TOOL_NAME] for s in tools) == ["file_read", "file_write"]
    flaky = [s for s in spans if _attrs(s).get(ot.NODE_ID) == "flaky"]
    assert [s["status"]["code"] for s in flaky] == [2, 1]
    assert [e["name"] for e in flaky[0]["events"]] == [ot.EVENT_RETRY]
    gate = next(s for s in spans if _attrs(s).get(ot.NODE_ID) == "gate")
    assert [e["name"] for e in gate["events"]] == [
        ot.EVENT_APPROVAL_REQUESTED,
        ot.EVENT_APPROVAL_DECIDED,
    ]


def _hex_ids_as_base64(data: dict[str, Any]) -> dict[str, Any]:
    """OTLP/JSON writes trace and span ids as hex, where the plain protobuf JSON mapping
    expects base64 bytes; OTLP receivers convert, so does this test before `Parse`."""
    for rs in data["resourceSpans"]:
        for ss in rs["scopeSpans"]:
            for span in ss["spans"]:
                for key in ("traceId", "spanId", "parentSpanId"):
                    if key in span:
                        span[key] = base64.b64encode(bytes.fromhex(span[key])).decode()
    return data


def test_otlp_parses_as_an_export_trace_service_request(sample: Runs) -> None:
    pb = pytest.importorskip("opentelemetry.proto.collector.trace.v1.trace_service_pb2")
    json_format = pytest.importorskip("google.protobuf.json_format")
    for run_id in (sample.rich, sample.approval, sample.failed):
        data = _hex_ids_as_base64(json.loads(text_of(sample, run_id, "otlp")))
        message = json_format.ParseDict(data, pb.ExportTraceServiceRequest())
        spans = message.resource_spans[0].scope_spans[0].spans
        assert len(spans) > 1 and all(len(s.trace_id) == 16 and len(s.span_id) == 8 for s in spans)
        root = next(s for s in spans if not s.parent_span_id)
        assert (
            root.start_time_unix_nano > 0 and root.end_time_unix_nano >= root.start_time_unix_nano
        )
        models = {
            a.value.string_value
            for s in spans
            for a in s.attributes
            if a.key == ot.GEN_AI_REQUEST_MODEL
        }
        assert models == ({"tiny-local", "big-remote"} if run_id == sample.rich else set())


@pytest.mark.parametrize("fmt", ["html", "md", "json", "otlp"])
@pytest.mark.parametrize("which", ["rich", "failed", "approval", "resumed"])
def test_canary_secrets_appear_in_no_format(sample: Runs, fmt: str, which: str) -> None:
    run_id = getattr(sample, which)
    content = text_of(sample, run_id, fmt)
    for canary in CANARIES:
        assert canary not in content
    if which == "rich":  # the canaries were really there to find
        raw = json.dumps([e.to_record() for e in sample.store.events(run_id)])
        assert all(canary in raw for canary in CANARIES)
        assert "[redacted]" in content


def test_long_values_are_shortened_with_their_size_but_exported_whole(sample: Runs) -> None:
    big = "lorem ipsum " * 1000
    wf = runs.workflow(
        [{"id": "x", "kind": "input"}, {"id": "o", "kind": "output"}],
        [("x.value", "o.value")],
        inputs=[{"name": "x", "default": big}],
    )
    run_id = asyncio.run(Engine(make_registry(), store=sample.store).run(wf, {})).run_id
    html = render(run_id, sample.store, "html")
    md = render(run_id, sample.store, "md")
    for shown in (html, md):
        assert isinstance(shown, str) and big not in shown
        assert "truncated, 11.7 K chars in all" in shown
    data = json.loads(str(render(run_id, sample.store, "json")))
    assert data["run"]["inputs"]["x"] == big and data["run"]["outputs"]["o"] == big
