"""The SSRF corpus against real listeners: no input reaches the canary (not even a TCP
connection) unless its host:port is allow-listed, and allow-listed ones do reach it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.engine.tools.conftest import Harness, corpus, grant
from tests.engine.tools.servers import Listener

SSRF = corpus("ssrf.txt")
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def test_corpus_is_large_enough() -> None:
    assert len(SSRF) >= 60


@pytest.mark.parametrize("template", SSRF)
def test_attack_never_reaches_the_canary(
    template: str, canary: Listener, redirector: Listener, tmp_path: Path
) -> None:
    url = template.replace("{C}", str(canary.port)).replace("{R}", str(redirector.port))
    scope = {"allow": ["*"], "methods": METHODS, "private_hosts": [f"127.0.0.1:{redirector.port}"]}
    h = Harness(tmp_path, grant("http_request", scope))
    outcome = h.call("http_request", {"method": "GET", "url": url})
    assert not canary.touched, (url, canary.requests)
    assert outcome.status in ("refused", "error"), (url, outcome)
    if outcome.status == "error":  # only names that need DNS (offline) may fail otherwise
        assert "resolve" in outcome.message, (url, outcome.message)
    entries = h.store.audit_entries()
    assert entries and entries[-1].outcome in ("refused", "error")


@pytest.mark.parametrize(
    ("allowed", "url"),
    [
        ("127.0.0.1:{C}", "http://127.0.0.1:{C}/hello"),
        ("[::1]:{C}", "http://[::1]:{C}/hello"),
        ("localhost:{C}", "http://localhost:{C}/hello"),
        ("127.0.0.1:{C}", "http://127.0.0.1:{R}/r?to=http://127.0.0.1:{C}/hello"),
    ],
)
def test_allow_listed_host_port_reaches_the_canary(
    allowed: str, url: str, canary: Listener, redirector: Listener, tmp_path: Path
) -> None:
    def fill(text: str) -> str:
        return text.replace("{C}", str(canary.port)).replace("{R}", str(redirector.port))

    scope = {"allow": ["*"], "private_hosts": [fill(allowed), f"127.0.0.1:{redirector.port}"]}
    h = Harness(tmp_path, grant("http_request", scope))
    outcome = h.call("http_request", {"url": fill(url)})
    assert outcome.ok, outcome
    assert outcome.result["status"] == 200 and outcome.result["body"] == "CANARY-SECRET"
    assert [r["path"] for r in canary.requests] == ["/hello"]


def test_allow_listing_one_port_does_not_open_another(
    canary: Listener, redirector: Listener, tmp_path: Path
) -> None:
    scope = {"allow": ["*"], "private_hosts": [f"127.0.0.1:{redirector.port}"]}
    h = Harness(tmp_path, grant("http_request", scope))
    outcome = h.call("http_request", {"url": f"http://127.0.0.1:{canary.port}/"})
    assert outcome.status == "refused" and "loopback" in outcome.message
    assert not canary.touched


def test_offline_workflow_reaches_only_allow_listed_loopback_services(
    canary: Listener, redirector: Listener, tmp_path: Path
) -> None:
    scope = {"allow": ["*"], "private_hosts": [f"127.0.0.1:{redirector.port}"]}
    h = Harness(tmp_path, grant("http_request", scope, offline=True))
    # A name would need DNS, a network query: refused before any lookup.
    outcome = h.call("http_request", {"url": "http://example.com/"})
    assert outcome.status == "refused" and "offline" in outcome.message
    # Loopback, but not allow-listed: refused, the canary never touched.
    outcome = h.call("http_request", {"url": f"http://127.0.0.1:{canary.port}/"})
    assert outcome.status == "refused" and "offline" in outcome.message
    assert not canary.touched
    # A redirect from the allow-listed service to another port is refused too.
    hop = f"http://127.0.0.1:{redirector.port}/r?to=http://127.0.0.1:{canary.port}/"
    outcome = h.call("http_request", {"url": hop})
    assert outcome.status == "refused" and not canary.touched
    # The workflow's own local service, allow-listed by address, stays reachable.
    local = Harness(
        tmp_path,
        grant(
            "http_request",
            {"allow": ["*"], "private_hosts": [f"127.0.0.1:{canary.port}"]},
            offline=True,
        ),
    )
    assert local.call("http_request", {"url": f"http://127.0.0.1:{canary.port}/"}).status == "ok"
    assert canary.touched


def test_redirect_limit(canary: Listener, redirector: Listener, tmp_path: Path) -> None:
    r = f"http://127.0.0.1:{redirector.port}/r?to="
    scope = {
        "allow": ["*"],
        "private_hosts": [f"127.0.0.1:{redirector.port}", f"127.0.0.1:{canary.port}"],
        "max_redirects": 1,
    }
    h = Harness(tmp_path, grant("http_request", scope))
    outcome = h.call("http_request", {"url": f"{r}{r}http://127.0.0.1:{canary.port}/"})
    assert outcome.status == "refused" and "redirects" in outcome.message
    assert not canary.touched
