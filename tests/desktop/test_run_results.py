"""Seeing a run's results in the window: the end-of-run summary, output previews on the
nodes (collapsible), export in every report format, Run from Here recomputing its node
instead of taking it from the cache, and opening another file forgetting the last run."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from PySide6.QtCore import QPoint, QPointF, QRect, Qt
from pytestqt.qtbot import QtBot

from desktop import file_dialogs
from desktop.main_window import MainWindow
from desktop.run.badges import NodeRunBadge
from engine.reports import EXTENSIONS
from tests.desktop.run_helpers import wait_finished
from tests.desktop.test_main_window import NO_LLM

NODES = ("who", "greet", "route", "shout", "both", "result")

MULTI_LINE = """\
version: 1
metadata: {name: Lines}
nodes:
  - id: poem
    kind: template
    position: {x: 0, y: 0}
    config: {template: "one\\ntwo\\nthree\\nfour", inputs: []}
  - {id: out, kind: output, position: {x: 300, y: 0}}
edges:
  - {source: poem.text, target: out.value}
"""


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    path = tmp_path / "demo.interlock.yaml"
    path.write_text(NO_LLM, encoding="utf-8")
    return path


def run_once(qtbot: QtBot, window: MainWindow) -> Any:
    window.actions_.run.trigger()
    result = wait_finished(qtbot, window)
    assert result.status == "succeeded"
    return result


def test_summary_after_the_run_and_hidden_while_the_next_runs(
    qtbot: QtBot, qloop: Any, window: MainWindow, demo: Path
) -> None:
    window.open_path(demo)
    summary = window.run_ui.summary
    assert not summary.isVisible()
    result = run_once(qtbot, window)
    qtbot.waitUntil(summary.isVisible)
    assert "Run succeeded" in summary.status.text()
    facts = summary.facts.text()
    assert facts.startswith(result.run_id)
    assert "6/6 nodes" in facts and "0 in / 0 out tokens" in facts and "$0" in facts
    assert " ms" in facts or " s" in facts
    assert summary.outputs_label.text() == "Output <b>result</b>"
    assert summary.outputs.toPlainText() == result.outputs["result"] == "Hello world / HELLO WORLD!"
    assert not summary.error.isVisible()
    corner = summary.geometry()  # inside the canvas, top right
    assert window.view.viewport().geometry().contains(corner)
    assert corner.right() > window.view.viewport().geometry().center().x()

    window.run_ui.commands.rerun.trigger()
    assert not summary.isVisible()  # the next run has started
    wait_finished(qtbot, window)
    qtbot.waitUntil(summary.isVisible)
    summary.findChild(type(summary.export_button), "summary_close").click()
    assert not summary.isVisible()
    assert summary.export_button.menu() is window.run_ui.commands.export_menu


def test_output_previews_collapse_expand_and_hide(
    qtbot: QtBot, qloop: Any, window: MainWindow, tmp_path: Path
) -> None:
    path = tmp_path / "lines.interlock.yaml"
    path.write_text(MULTI_LINE, encoding="utf-8")
    window.open_path(path)
    overlay = window.run_controller.overlay
    assert overlay.preview("poem") is not None and not overlay.preview("poem").isVisible()
    run_once(qtbot, window)
    preview = overlay.preview("poem")
    assert preview is not None
    qtbot.waitUntil(preview.isVisible)
    assert preview.lines == ["one …"]  # collapsed: the first line, marked as cut

    view = window.view
    point = view.mapFromScene(preview.mapToScene(preview.boundingRect().center()))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point)
    qtbot.waitUntil(lambda: preview.expanded)
    assert preview.lines == ["one", "two", "three", "four"]
    assert "poem" in overlay.expanded
    assert window.scene.selected_node_ids() == []  # the click toggled, it did not select

    point = view.mapFromScene(preview.mapToScene(preview.boundingRect().center()))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point)
    qtbot.waitUntil(lambda: not preview.expanded)

    window.run_ui.previews.setChecked(False)
    qtbot.waitUntil(lambda: not preview.isVisible())
    window.run_ui.previews.setChecked(True)
    qtbot.waitUntil(preview.isVisible)


def exported(qtbot: QtBot, window: MainWindow, run_id: str, path: Path) -> Path:
    commands = window.run_ui.commands
    with qtbot.waitSignal(commands.exported, timeout=30_000) as done:
        assert commands.export_run(run_id, path) is not None
    target: Path = done.args[0]
    return target


def test_export_every_format_from_the_window(
    qtbot: QtBot, qloop: Any, window: MainWindow, demo: Path, tmp_path: Path
) -> None:
    window.open_path(demo)
    run_id = run_once(qtbot, window).run_id
    commands = window.run_ui.commands
    assert commands.export.isEnabled()
    names = [a.text() for a in commands.export_menu.actions()]
    assert names == [
        "HTML report…",
        "PDF report…",
        "Markdown report…",
        "OTLP trace…",
        "Run export (JSON)…",
    ]

    html = exported(qtbot, window, run_id, tmp_path / "run.html").read_text(encoding="utf-8")
    assert html.lower().startswith("<!doctype html>") and run_id in html
    for node in NODES:  # each node's section, with its status
        assert f'id="node-{node}"' in html and f'<span class="nid">{node}</span>' in html
    assert html.count("st-succeeded") >= len(NODES) - 1  # the branch's other port skips

    md = exported(qtbot, window, run_id, tmp_path / "run.md").read_text(encoding="utf-8")
    assert run_id in md and "succeeded" in md and all(node in md for node in NODES)

    otlp = json.loads(
        exported(qtbot, window, run_id, tmp_path / "run.otlp.json").read_text(encoding="utf-8")
    )
    spans = [s for rs in otlp["resourceSpans"] for ss in rs["scopeSpans"] for s in ss["spans"]]
    attributes = json.dumps([s.get("attributes") for s in spans])
    assert run_id in attributes and all(node in attributes for node in NODES)

    data = json.loads(exported(qtbot, window, run_id, tmp_path / "run.json").read_text("utf-8"))
    assert data["format"] == "interlock-run" and data["run"]["run_id"] == run_id
    assert data["run"]["status"] == "succeeded"
    assert {e["node_id"] for e in data["events"] if e.get("node_id")} == set(NODES)

    pdf = exported(qtbot, window, run_id, tmp_path / "run.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    text = " ".join(
        " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split()
    )
    assert run_id in text and "succeeded" in text and all(node in text for node in NODES)


def test_export_menu_asks_where_and_takes_the_format_from_the_filter(
    qtbot: QtBot,
    qloop: Any,
    window: MainWindow,
    demo: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window.open_path(demo)
    run_id = run_once(qtbot, window).run_id
    asked: list[tuple[str, str]] = []

    def answer(parent: Any, caption: str, directory: str, filters: str) -> tuple[str, str]:
        asked.append((directory, filters))
        return str(tmp_path / "report"), filters.split(";;")[0]  # no extension typed

    monkeypatch.setattr(file_dialogs, "save_file_name", answer)
    commands = window.run_ui.commands
    markdown = next(a for a in commands.export_menu.actions() if a.text().startswith("Markdown"))
    with qtbot.waitSignal(commands.exported, timeout=30_000) as done:
        markdown.trigger()
    ((directory, filters),) = asked
    assert directory == str(demo.parent / f"run-{run_id}{EXTENSIONS['md']}")  # beside the file
    assert filters.startswith("Markdown report (*.md);;")
    assert done.args[0] == tmp_path / "report.md"
    assert run_id in (tmp_path / "report.md").read_text(encoding="utf-8")


def test_run_from_here_recomputes_the_node_instead_of_the_cache(
    qtbot: QtBot, qloop: Any, window: MainWindow, demo: Path
) -> None:
    window.open_path(demo)
    first = run_once(qtbot, window)
    second = run_once(qtbot, window)  # same inputs: the cache now holds every node
    state = window.run_controller.state
    assert state.run_id == second.run_id and state.nodes["shout"].state == "cached"

    menu = window.run_ui.commands.node_menu("shout")
    run_from = menu.actions()[0]
    assert run_from.text() == "Run from Here" and "cache" in run_from.toolTip()
    run_from.trigger()
    third = wait_finished(qtbot, window)
    assert third.status == "succeeded" and third.outputs == first.outputs
    state = window.run_controller.state
    assert state.run_id == third.run_id
    for node in ("shout", "both", "result"):  # the node and everything downstream ran
        kinds = [e.type for e in state.nodes[node].events]
        assert "node_started" in kinds and "node_cached" not in kinds, node
        assert state.nodes[node].state == "succeeded", node
    greet = state.nodes["greet"]  # upstream: the last run's result, reused
    assert greet.state == "cached"
    assert [e.payload()["source"] for e in greet.events if e.type == "node_cached"] == [
        second.run_id
    ]


def test_opening_another_file_forgets_the_last_run(
    qtbot: QtBot, qloop: Any, window: MainWindow, demo: Path, tmp_path: Path
) -> None:
    other = tmp_path / "lines.interlock.yaml"
    other.write_text(MULTI_LINE, encoding="utf-8")
    window.open_path(other)
    run_once(qtbot, window)
    ui, commands, overlay = window.run_ui, window.run_ui.commands, window.run_controller.overlay
    qtbot.waitUntil(lambda: window.scene.node_items["poem"].run_state == "succeeded")
    qtbot.waitUntil(lambda: ui.summary.isVisible() and ui.status.isVisible())
    assert commands.rerun.isEnabled() and commands.export.isEnabled()

    window.open_path(demo)  # the same node ids would show the old run if it were kept
    other.write_text(MULTI_LINE.replace("Lines", "Lines again"), encoding="utf-8")
    window.open_path(other)
    qtbot.waitUntil(lambda: overlay.flush_count > 0 and not ui.status.isVisible())
    item = window.scene.node_items["poem"]
    qtbot.waitUntil(lambda: item.run_state is None)
    assert window.run_controller.last_run_id is None
    assert not ui.summary.isVisible()
    assert not commands.rerun.isEnabled() and not commands.export.isEnabled()
    assert not commands.resume.isEnabled()
    assert not commands.node_menu("poem").actions()[0].isEnabled()  # Run from Here
    assert overlay.preview("poem") is None or not overlay.preview("poem").isVisible()
    badges = [c for i in window.scene.node_items.values() for c in i.childItems()]
    assert not any(isinstance(c, NodeRunBadge) and c.isVisible() for c in badges)

    run_once(qtbot, window)  # and a run of the new file starts as usual
    qtbot.waitUntil(lambda: item.run_state in ("succeeded", "cached"))


def test_summary_takes_a_corner_that_covers_no_node(
    qtbot: QtBot, qloop: Any, window: MainWindow, demo: Path
) -> None:
    """A node under the canvas's top-right corner: the card goes to a free corner; with no
    corner free it opens collapsed to its header, and expands on request."""
    window.open_path(demo)
    view, summary = window.view, window.run_ui.summary
    node = window.scene.node_items["result"].sceneBoundingRect()
    viewport = view.viewport().rect()
    scale = view.transform().m11()
    corner = QPointF(viewport.width() - 60, 30)  # the node's top right lands here
    centre = QPointF(viewport.width() / 2, viewport.height() / 2)
    view.centerOn(node.topRight() - (corner - centre) / scale)
    run_once(qtbot, window)
    qtbot.waitUntil(summary.isVisible)
    area = view.viewport().geometry()
    top_right = QRect(area.right() - summary.width(), area.top(), summary.width(), 60)
    obstacles = window.run_ui.canvas_obstacles()
    assert any(top_right.intersects(o) for o in obstacles)  # the old place covered one
    assert not summary.collapsed and summary.facts.isVisible()
    assert area.contains(summary.geometry())
    assert not any(summary.geometry().intersects(o) for o in obstacles)
    toggle = summary.collapse_button.mapTo(view, QPoint(0, 0))
    summary.collapse_button.click()  # a person collapses it: it shrinks where it is
    assert summary.collapsed and summary.collapse_button.mapTo(view, QPoint(0, 0)) == toggle
    summary.collapse_button.click()
    assert not summary.collapsed and not any(summary.geometry().intersects(o) for o in obstacles)

    summary.obstacles = lambda: [area]  # the canvas full: no corner is free
    summary.show_run(window.run_controller.state, len(window.document.nodes))
    assert summary.collapsed and not summary.facts.isVisible()
    assert summary.status.isVisible() and summary.height() < 60
    summary.collapse_button.click()
    assert not summary.collapsed and summary.facts.isVisible()
    assert summary.outputs.toPlainText() == "Hello world / HELLO WORLD!"


FAILS = """\
version: 1
metadata: {name: Fails}
inputs: [{name: x, type: number, default: 1}]
nodes:
  - {id: x, kind: input, position: {x: 0, y: 0}}
  - {id: t, kind: template, config: {template: "{{ in // 0 }}"}, position: {x: 250, y: 0}}
  - {id: out, kind: output, position: {x: 500, y: 0}}
edges:
  - {source: x.value, target: t.in}
  - {source: t.text, target: out.value}
"""


def test_a_run_that_failed_here_can_be_resumed_from_the_toolbar(
    qtbot: QtBot, qloop: Any, window: MainWindow, tmp_path: Path
) -> None:
    """Resume is checked again once the run's task has ended (not only while it ends)."""
    path = tmp_path / "fails.interlock.yaml"
    path.write_text(FAILS, encoding="utf-8")
    window.open_path(path)
    commands = window.run_ui.commands
    window.actions_.run.trigger()
    result = wait_finished(qtbot, window)
    assert result is not None and result.status == "failed"
    qtbot.waitUntil(commands.resume.isEnabled, timeout=10_000)
    assert commands.resume.toolTip() == f"Continue run {result.run_id}"
