"""`http_request` and response statuses, against a real server on 127.0.0.1: which statuses
a call accepts (`accept_status`), the error class of the rest, the Retry-After hint, and
how a tool node retries (or does not) in a real run."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from engine.nodes import builtin_registry
from engine.runtime.engine import Engine, RunResult
from engine.runtime.validate import validate
from engine.store.memory import MemoryRunStore
from engine.tools.http_status import accepts, retry_after_s, shown_url
from engine.trace.events import NodeFailed, NodeRetrying, RunEvent
from engine.workflow.model import Workflow
from tests.engine.tools.conftest import Harness, grant
from tests.engine.tools.servers import Reply, Script, scripted


def http_grant(script: Script) -> dict[str, Any]:
    scope = {"allow": [script.base + "/"], "private_hosts": [f"127.0.0.1:{script.port}"]}
    return grant("http_request", scope)


@pytest.mark.parametrize(
    ("rules", "status", "accepted"),
    [
        (["2xx"], 200, True),
        (["2xx"], 204, True),
        (["2xx"], 404, False),
        (["2xx", 404], 404, True),
        (["2xx", "404"], 404, True),
        (["4xx"], 429, True),
        ([404], 403, False),
        (["5xx"], 200, False),
    ],
)
def test_accept_status_rules(rules: list[int | str], status: int, accepted: bool) -> None:
    assert accepts(rules, status) is accepted


def test_retry_after_in_seconds_or_as_an_http_date() -> None:
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert retry_after_s("0") == 0.0 and retry_after_s(" 120 ") == 120.0
    assert retry_after_s("Thu, 01 Jan 2026 12:00:30 GMT", now=now) == 30.0
    assert retry_after_s("Thu, 01 Jan 2026 11:00:00 GMT", now=now) == 0.0  # already past
    assert retry_after_s(None) is None and retry_after_s("soon") is None


def test_shown_url_leaves_out_query_values() -> None:
    url = httpx.URL("http://h:8080/v1/items?api_key=s3cret&page=2&api_key=x#part")
    assert shown_url(url) == "http://h:8080/v1/items?api_key=…&page=…"


def test_404_fails_with_class_http_naming_status_url_and_body(tmp_path: Path) -> None:
    with scripted(Reply(404, body=b"no such item\n  here")) as script:
        h = Harness(tmp_path, http_grant(script))
        outcome = h.call(
            "http_request",
            {
                "url": f"{script.base}/items/7?token=s3cretvalue",
                "headers": {"Authorization": "Bearer s3crettoken"},
            },
        )
    assert outcome.status == "error" and outcome.error_class == "http"
    assert outcome.message == (
        f"HTTP 404 Not Found from GET {script.base}/items/7?token=… "
        "(accept_status: 2xx): no such item here"
    )
    assert outcome.retry_after_s is None
    [failed] = [fields for cls, fields in h.events if cls.type == "tool_failed"]
    assert failed["error"] == outcome.message and failed["error_class"] == "http"
    assert "s3cret" not in outcome.message


def test_accepted_non_2xx_status_is_a_result(tmp_path: Path) -> None:
    with scripted(Reply(404, body=b"missing")) as script:
        outcome = Harness(tmp_path, http_grant(script)).call(
            "http_request", {"url": f"{script.base}/x", "accept_status": ["2xx", 404]}
        )
    assert outcome.ok, outcome.message
    assert outcome.result["status"] == 404 and outcome.result["body"] == "missing"


def test_accept_status_can_refuse_a_2xx(tmp_path: Path) -> None:
    with scripted(Reply(204, body=b"")) as script:
        outcome = Harness(tmp_path, http_grant(script)).call(
            "http_request", {"url": f"{script.base}/x", "accept_status": [200]}
        )
    assert outcome.status == "error" and outcome.error_class == "http"
    assert outcome.message.startswith("HTTP 204 No Content from GET")


@pytest.mark.parametrize("bad", [[], ["2XX-ish"], [600], ["6xx"], "2xx"])
def test_malformed_accept_status_is_invalid(bad: Any, tmp_path: Path) -> None:
    with scripted() as script:
        outcome = Harness(tmp_path, http_grant(script)).call(
            "http_request", {"url": f"{script.base}/x", "accept_status": bad}
        )
        assert outcome.status == "invalid" and not script.requests


@pytest.mark.parametrize(
    ("status", "header", "hint"),
    [
        (503, {"Retry-After": "7"}, 7.0),
        (429, {"Retry-After": "0"}, 0.0),
        (500, {}, None),
        (502, {"Retry-After": "soon"}, None),
    ],
)
def test_5xx_and_429_are_transient_with_the_retry_after_hint(
    status: int, header: dict[str, str], hint: float | None, tmp_path: Path
) -> None:
    with scripted(Reply(status, header, b"busy")) as script:
        outcome = Harness(tmp_path, http_grant(script)).call(
            "http_request", {"url": f"{script.base}/x"}
        )
    assert outcome.status == "error" and outcome.error_class == "transient"
    assert outcome.retry_after_s == hint


def test_retry_after_as_an_http_date(tmp_path: Path) -> None:
    later = format_datetime(datetime.now(UTC).replace(microsecond=0), usegmt=True)
    with scripted(Reply(503, {"Retry-After": later})) as script:
        outcome = Harness(tmp_path, http_grant(script)).call(
            "http_request", {"url": f"{script.base}/x"}
        )
    assert outcome.error_class == "transient"
    assert outcome.retry_after_s is not None and 0.0 <= outcome.retry_after_s <= 1.0


def test_connection_refused_is_transient(tmp_path: Path) -> None:
    with scripted() as script:
        policy = http_grant(script)
    # The server is gone: its port refuses connections.
    outcome = Harness(tmp_path, policy).call("http_request", {"url": f"{script.base}/x"})
    assert outcome.status == "error" and outcome.error_class == "transient"


# A tool node in a real run.


def tool_workflow(
    script: Script, arguments: dict[str, Any], retry: dict[str, Any] | None = None
) -> Workflow:
    node: dict[str, Any] = {
        "id": "call",
        "kind": "tool",
        "config": {"tool": "http_request", "inputs": [], "arguments": arguments},
    }
    if retry is not None:
        node["policy"] = {"retry": retry}
    return Workflow.model_validate(
        {
            "metadata": {"name": "http-status"},
            "nodes": [node, {"id": "out", "kind": "output"}],
            "edges": [{"source": "call.result", "target": "out.value"}],
            "policy": http_grant(script),
        }
    )


def run(wf: Workflow, tmp_path: Path) -> tuple[RunResult, list[RunEvent]]:
    events: list[RunEvent] = []
    engine = Engine(builtin_registry(), store=MemoryRunStore())
    result = asyncio.run(engine.run(wf, {}, base_dir=tmp_path, subscribers=[events.append]))
    return result, events


RETRY = {"max_attempts": 3, "initial_delay_s": 0.01, "jitter": 0}


def test_node_retries_a_503_and_succeeds(tmp_path: Path) -> None:
    with scripted(Reply(503, {"Retry-After": "0"}, b"busy"), Reply(200, body=b"done")) as script:
        result, events = run(tool_workflow(script, {"url": f"{script.base}/job"}, RETRY), tmp_path)
    assert result.status == "succeeded", result.error
    assert result.outputs["out"]["status"] == 200 and result.outputs["out"]["body"] == "done"
    assert len(script.requests) == 2
    [retrying] = [e for e in events if isinstance(e, NodeRetrying)]
    assert retrying.error_class == "transient" and "HTTP 503" in retrying.error
    assert retrying.delay_s == 0.01  # Retry-After: 0 does not shorten the policy's backoff


def test_node_waits_as_long_as_retry_after_asks(tmp_path: Path) -> None:
    replies = (Reply(429, {"Retry-After": "1"}), Reply(200))
    with scripted(*replies) as script:
        result, events = run(tool_workflow(script, {"url": f"{script.base}/x"}, RETRY), tmp_path)
    assert result.status == "succeeded", result.error
    [retrying] = [e for e in events if isinstance(e, NodeRetrying)]
    assert retrying.delay_s == 1.0


def test_retry_after_is_capped_by_max_delay(tmp_path: Path) -> None:
    retry = {**RETRY, "max_delay_s": 0.05}
    with scripted(Reply(503, {"Retry-After": "3600"}), Reply(200)) as script:
        result, events = run(tool_workflow(script, {"url": f"{script.base}/x"}, retry), tmp_path)
    assert result.status == "succeeded", result.error
    [retrying] = [e for e in events if isinstance(e, NodeRetrying)]
    assert retrying.delay_s == 0.05


def test_node_fails_on_404_without_retry(tmp_path: Path) -> None:
    with scripted(Reply(404, body=b"not here")) as script:
        result, events = run(tool_workflow(script, {"url": f"{script.base}/gone"}, RETRY), tmp_path)
    assert result.status == "failed"
    assert len(script.requests) == 1
    assert not [e for e in events if isinstance(e, NodeRetrying)]
    [failed] = [e for e in events if isinstance(e, NodeFailed)]
    assert failed.error_class == "http"
    assert failed.error.startswith(f"HTTP 404 Not Found from GET {script.base}/gone")
    assert result.error is not None and "HTTP 404" in result.error


def test_node_accepting_404_succeeds_with_the_status(tmp_path: Path) -> None:
    with scripted(Reply(404, body=b"not here")) as script:
        arguments = {"url": f"{script.base}/gone", "accept_status": ["2xx", 404]}
        result, _ = run(tool_workflow(script, arguments, RETRY), tmp_path)
    assert result.status == "succeeded", result.error
    assert result.outputs["out"]["status"] == 404 and result.outputs["out"]["body"] == "not here"


def test_http_is_an_error_class_retry_on_may_name() -> None:
    with scripted() as script:
        wf = tool_workflow(script, {"url": f"{script.base}/x"}, {"retry_on": ["transient", "http"]})
    report = validate(wf, builtin_registry())
    assert report.ok, [problem.message for problem in report.errors]
