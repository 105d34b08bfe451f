"""Canvas comparison: Interlock's canvas against NodeGraphQt on the same graph.

Owns the NodeGraphQt side of the canvas benchmark: the graph of `bench/canvas.py`'s
`make_workflow` (same node ids, positions and edges, read back from its YAML) built in a
NodeGraphQt `NodeGraph`, timed for build and session load, and rendered with the same frame
method as `canvas.frame_times` (60 frames of a 1280x800 QImage, panning 12 px a frame, at
fit-all and at 1:1). The Interlock side is `canvas.bench_size`, unchanged. Each (library,
size, repeat) runs in a child process of its own, the two libraries interleaved, and the
table shows medians over the repeats with the ratio Interlock / NodeGraphQt.

What differs, beyond the libraries: Interlock's `open` also parses and validates YAML,
NodeGraphQt's reads its own JSON session; Interlock's scene build clears a built scene
first; each library paints its own nodes (Interlock 200 px wide with icon, kind and port
labels, NodeGraphQt 160x60) and grid (Interlock's antialiased in the view, NodeGraphQt's
not, in the scene), so fit-all scales differ a little.

NodeGraphQt lives only in .venv-bench (Qt.py on PySide6), never in the app's .venv:

    bash bench/run_canvas_compare.sh [--sizes 100,1000,5000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_PREFERRED_BINDING", "PySide6")  # Qt.py: the binding Interlock uses

METRICS = (
    ("open", "open (file -> scene)", "s"),
    ("build", "scene build only", "s"),
    ("fit", "fit-all frame median", "ms"),
    ("fit p95", "fit-all frame p95", "ms"),
    ("1:1", "1:1 frame median", "ms"),
    ("1:1 p95", "1:1 frame p95", "ms"),
)


def canvas_module() -> ModuleType:
    """bench/canvas.py, loaded by path (bench/ is not a package)."""
    spec = importlib.util.spec_from_file_location("bench_canvas", ROOT / "bench" / "canvas.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read_graph(path: Path) -> tuple[list[tuple[str, float, float]], list[tuple[str, str]]]:
    """Node (id, x, y) and edge (source id, target id) lists from a make_workflow YAML."""
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    nodes = [(n["id"], float(n["position"]["x"]), float(n["position"]["y"])) for n in data["nodes"]]
    edges = [(e["source"].split(".")[0], e["target"].split(".")[0]) for e in data["edges"]]
    return nodes, edges


# -- the NodeGraphQt side (runs in a child process) --------------------------------------


def node_classes() -> tuple[type, type]:
    """A source node (one output, like Interlock's first-layer template nodes) and a step
    node (one input, one output, like the rest)."""
    from NodeGraphQt import BaseNode

    class Source(BaseNode):  # type: ignore[misc]
        __identifier__ = "bench"
        NODE_NAME = "source"

        def __init__(self) -> None:
            super().__init__()
            self.add_output("text")

    class Step(BaseNode):  # type: ignore[misc]
        __identifier__ = "bench"
        NODE_NAME = "step"

        def __init__(self) -> None:
            super().__init__()
            self.add_input("in")
            self.add_output("text")

    return Source, Step


def new_graph(classes: tuple[type, ...]) -> object:
    from NodeGraphQt import NodeGraph
    from PySide6.QtWidgets import QApplication

    graph = NodeGraph()
    for cls in classes:
        graph.register_node(cls)
    graph.widget.resize(1400, 900)  # as canvas.bench_size sizes its window
    graph.widget.show()
    QApplication.processEvents()
    return graph


def build(graph: object, nodes: list[tuple[str, float, float]], edges: list[tuple[str, str]]):
    """Create every node at its position, then connect every edge: NodeGraphQt's public API,
    without undo commands (push_undo=False), as a file open would."""
    targets = {target for _, target in edges}
    made = {}
    for node_id, x, y in nodes:
        kind = "bench.Step" if node_id in targets else "bench.Source"
        made[node_id] = graph.create_node(  # type: ignore[attr-defined]
            kind, name=node_id, selected=False, pos=(x, y), push_undo=False
        )
    for source, target in edges:
        made[source].output(0).connect_to(made[target].input(0), push_undo=False)


def nodes_rect(graph: object):
    from PySide6.QtCore import QRectF

    rect = QRectF()
    for node in graph.all_nodes():  # type: ignore[attr-defined]
        rect = rect.united(node.view.sceneBoundingRect())
    return rect


def frame_times(graph: object, zoom: float | None, canvas: ModuleType) -> list[float]:
    """canvas.frame_times for NodeGraphQt: the viewer's transform set to the frame's scale
    (its nodes pick their level of detail from it while painting), then FRAMES frames of a
    viewport-sized area rendered into a QImage. NodeGraphQt draws its grid in the scene's
    drawBackground, so `scene.render` paints background and items; its viewer has no
    drawBackground of its own (calling QGraphicsView's would draw the grid twice)."""
    from PySide6.QtCore import QElapsedTimer, QRectF
    from PySide6.QtGui import QImage, QPainter, QTransform

    width_px, height_px = canvas.FRAME
    viewer, scene = graph.viewer(), graph.scene()  # type: ignore[attr-defined]
    rect = nodes_rect(graph)
    scale = min(width_px / rect.width(), height_px / rect.height()) if zoom is None else zoom
    viewer.setTransform(QTransform.fromScale(scale, scale))
    width, height = width_px / scale, height_px / scale
    start = rect.topLeft()
    image = QImage(width_px, height_px, QImage.Format.Format_ARGB32_Premultiplied)
    times = []
    for frame in range(canvas.FRAMES):
        source = QRectF(start.x() + frame * 12 / scale, start.y(), width, height)
        timer = QElapsedTimer()
        timer.start()
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        scene.render(painter, QRectF(image.rect()), source)
        painter.end()
        times.append(timer.nsecsElapsed() / 1e6)
    return times


def p95(times: list[float]) -> float:
    return sorted(times)[int(len(times) * 0.95) - 1]  # as canvas.bench_size


def nodegraphqt_size(n: int, tmp: Path, canvas: ModuleType) -> dict[str, float]:
    from PySide6.QtWidgets import QApplication

    path = tmp / f"bench{n}.interlock.yaml"
    canvas.make_workflow(n, path)
    nodes, edges = read_graph(path)
    classes = node_classes()
    graph = new_graph(classes)
    start = time.perf_counter()
    build(graph, nodes, edges)
    result = {"build": time.perf_counter() - start}
    QApplication.processEvents()
    assert len(graph.all_nodes()) == n  # type: ignore[attr-defined]
    assert len(graph.viewer().all_pipes()) == len(edges)  # type: ignore[attr-defined]
    session = tmp / f"bench{n}.json"
    graph.save_session(str(session))  # type: ignore[attr-defined]
    fresh = new_graph(classes)
    start = time.perf_counter()
    fresh.load_session(str(session))  # type: ignore[attr-defined]
    result["open"] = time.perf_counter() - start
    QApplication.processEvents()
    fresh.close()  # type: ignore[attr-defined]
    for label, zoom in (("fit", None), ("1:1", 1.0)):
        times = frame_times(graph, zoom, canvas)
        result[label], result[label + " p95"] = statistics.median(times), p95(times)
    return result


def interlock_size(n: int, tmp: Path, canvas: ModuleType) -> dict[str, float]:
    """canvas.bench_size as it is; `build` is its `scene` (rebuild from the document)."""
    result = canvas.bench_size(n, tmp)
    return {
        "open": result["open"],
        "build": result["scene"],
        **{k: result[k] for k in ("fit", "fit p95", "1:1", "1:1 p95")},
    }


def worker(library: str, n: int) -> int:
    canvas = canvas_module()  # sets QT_QPA_PLATFORM and imports PySide6 first
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert app is not None
    run = interlock_size if library == "interlock" else nodegraphqt_size
    with tempfile.TemporaryDirectory() as name:
        result = run(n, Path(name), canvas)
    print(json.dumps(result))
    sys.stdout.flush()
    os._exit(0)  # skip teardown of thousands of items; nothing is left to save


# -- the parent: run, collect, print -----------------------------------------------------


def measure(library: str, n: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--worker", library, "--sizes", str(n)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
    if out.returncode != 0:
        sys.stderr.write(out.stderr)
        raise SystemExit(f"{library} at {n} nodes failed (exit {out.returncode})")
    return json.loads(out.stdout.strip().splitlines()[-1])


def versions() -> str:
    from importlib.metadata import version

    names = ("PySide6", "NodeGraphQt", "Qt.py")
    return ", ".join(f"{name} {version(name)}" for name in names)


def revision() -> str:
    """The commit measured, and whether the canvas or bench/canvas.py differ from it."""
    git = ["git", "-C", str(ROOT)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    paths = ["desktop", "bench/canvas.py"]
    dirty = subprocess.run([*git, "status", "--porcelain", *paths], capture_output=True, text=True)
    return f"Interlock {head.stdout.strip()}{' + uncommitted edits' if dirty.stdout else ''}"


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def table(runs: dict[tuple[str, int], list[dict[str, float]]], sizes: list[int]) -> None:
    print(f"\n{'nodes':>6}  {'metric':<22} {'Interlock':>10} {'NodeGraphQt':>12} {'ratio I/N':>10}")
    for n in sizes:
        for key, label, unit in METRICS:
            ours = statistics.median(r[key] for r in runs["interlock", n])
            theirs = statistics.median(r[key] for r in runs["nodegraphqt", n])
            fmt = ".3f" if unit == "s" else ".1f"
            print(
                f"{n:>6}  {label:<22} {ours:>9{fmt}}{unit:<1} {theirs:>11{fmt}}{unit:<1} "
                f"{ours / theirs:>10.2f}"
            )
        print()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,5000")
    parser.add_argument("--repeats", type=int, default=3, help="runs per library and size")
    parser.add_argument("--json", type=Path, help="also write every run's numbers here")
    parser.add_argument("--worker", choices=("interlock", "nodegraphqt"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.worker:
        return worker(args.worker, sizes[0])
    print(f"{revision()}; {versions()}; {load()}")
    runs: dict[tuple[str, int], list[dict[str, float]]] = {}
    for repeat in range(args.repeats):
        for n in sizes:
            order = ("interlock", "nodegraphqt") if repeat % 2 else ("nodegraphqt", "interlock")
            for library in order:
                runs.setdefault((library, n), []).append(measure(library, n))
        print(f"repeat {repeat + 1}/{args.repeats} done; {load()}", flush=True)
    table(runs, sizes)
    if args.json:
        raw = [{"library": lib, "nodes": n, "runs": r} for (lib, n), r in runs.items()]
        args.json.write_text(json.dumps(raw, indent=1), encoding="utf-8")
    print(
        "open: Interlock MainWindow.open_path (YAML parse + validation + scene + fit); "
        "NodeGraphQt load_session (JSON).\nscene build only: Interlock scene._rebuild from "
        "the document; NodeGraphQt create_node + connect_to, push_undo=False."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
