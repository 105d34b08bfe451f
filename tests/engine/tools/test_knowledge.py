"""`knowledge_search` on real folders: BM25 ranking with citations (lines, PDF pages), the
cached index keyed by the files' mtimes, and folder grants."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.engine.tools.conftest import Harness, grant


def minimal_pdf(pages: list[str]) -> bytes:
    """A valid PDF with one line of Helvetica text per page."""
    objects = ["<< /Type /Catalog /Pages 2 0 R >>"]
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(len(pages)))
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>")
    font = 3 + 2 * len(pages)
    for i, text in enumerate(pages):
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            f"/Contents {4 + 2 * i} 0 R /Resources << /Font << /F1 {font} 0 R >> >> >>"
        )
        stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET"
        objects.append(f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream")
    objects.append("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += (
        f"trailer << /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out


@pytest.fixture
def base(tmp_path: Path) -> Path:
    docs = tmp_path / "policies"
    docs.mkdir()
    (docs / "refunds.md").write_text(
        "# Refunds\n\nCustomers may return items within 30 days of purchase for a full refund.\n"
        "\nAfter 30 days we offer store credit only, up to 90 days after purchase.\n"
    )
    (docs / "travel.txt").write_text(
        "Travel policy\n\nEconomy class is required for flights under six hours.\n"
    )
    (docs / "handbook.pdf").write_bytes(
        minimal_pdf(["Welcome to the company handbook.", "Remote work is allowed two days a week."])
    )
    (tmp_path / "secret").mkdir()
    (tmp_path / "secret" / "salaries.md").write_text("The refund of salaries is confidential.")
    os.symlink(tmp_path / "secret", docs / "linked")
    return tmp_path


def search(h: Harness, query: str, **extra: object) -> list[dict[str, str]]:
    outcome = h.call("knowledge_search", {"query": query, **extra})
    assert outcome.ok, outcome
    return list(outcome.result["passages"])


def test_passages_are_ranked_and_cited(base: Path, tmp_path: Path) -> None:
    h = Harness(base, grant("knowledge_search", {"folders": ["policies"]}))
    hits = search(h, "How many days do I have to return an item for a refund?")
    assert hits[0] == {
        "source": "policies/refunds.md",
        "location": "lines 1-3",
        "text": "# Refunds\n"
        "Customers may return items within 30 days of purchase for a full refund.",
    }
    assert all("salaries" not in hit["text"] for hit in hits)  # the symlink is not followed
    flights = search(h, "flights economy")
    assert flights[0]["source"] == "policies/travel.txt" and flights[0]["location"] == "lines 1-3"
    remote = search(h, "remote work days")
    assert remote[0] == {
        "source": "policies/handbook.pdf",
        "location": "page 2",
        "text": "Remote work is allowed two days a week.",
    }
    assert search(h, "???") == []


def test_index_is_cached_and_rebuilt_when_files_change(base: Path) -> None:
    h = Harness(base, grant("knowledge_search", {"folders": ["policies"]}))
    search(h, "refund")
    index_dir = Path(os.environ["INTERLOCK_DATA_DIR"]) / "knowledge"
    first = {p.name for p in index_dir.glob("*.db")}
    search(h, "refund")
    assert {p.name for p in index_dir.glob("*.db")} == first
    time.sleep(0.01)
    (base / "policies" / "pets.md").write_text("Dogs are welcome in the office on Fridays.\n")
    assert search(h, "dogs office")[0]["source"] == "policies/pets.md"
    assert len({p.name for p in index_dir.glob("*.db")} - first) == 1


def test_only_granted_folders_are_searched(base: Path) -> None:
    h = Harness(base, grant("knowledge_search", {"folders": ["policies"], "max_results": 1}))
    assert len(search(h, "days")) == 1
    outcome = h.call("knowledge_search", {"query": "salaries", "folder": "secret"})
    assert outcome.status == "refused"
    narrowed = h.call(
        "knowledge_search",
        {"query": "refund"},
        scopes={"knowledge_search": {"folders": ["secret"]}},
    )
    assert narrowed.status == "refused" and "no document folder" in narrowed.message


def test_the_same_folder_indexed_at_once_from_many_threads(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from engine.tools.knowledge import build_index

    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(30):
        (docs / f"d{i}.md").write_text(f"Document {i} about refunds and parcels.\n" * 20)
    with ThreadPoolExecutor(max_workers=6) as pool:
        built = list(pool.map(lambda _: build_index(docs, tmp_path / "data"), range(6)))
    assert len(set(built)) == 1 and built[0].is_file()
    assert not list(built[0].parent.glob("*.tmp"))
