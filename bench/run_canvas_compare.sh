#!/usr/bin/env bash
# Canvas comparison: Interlock's canvas against NodeGraphQt on the same graphs, in one
# invocation (bench/canvas_nodegraphqt.py). NodeGraphQt and Qt.py go into .venv-bench only,
# never into the app's .venv.
#
#   bash bench/run_canvas_compare.sh [ARGS]   ARGS go to bench/canvas_nodegraphqt.py
#                                             (--sizes 100,1000,5000 --repeats 3)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
venv="$root/.venv-bench"

# bench/run.sh owns .venv-bench (Interlock editable + LangGraph): with --help it sets the
# venv up if needed and only prints engine_overhead.py's usage.
if ! [ -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import desktop, PySide6' 2>/dev/null; then
    bash bench/run.sh --help >/dev/null
fi
# Versions measured in bench/README.md; Qt.py picks PySide6 (QT_PREFERRED_BINDING).
if ! "$venv/bin/python" -c 'import importlib.metadata as m; m.version("NodeGraphQt")' 2>/dev/null; then
    printf '== Installing NodeGraphQt into %s\n' "$venv"
    "$venv/bin/python" -m pip install --progress-bar off 'NodeGraphQt==0.6.44' 'Qt.py==2.0.7'
fi

export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}" QT_PREFERRED_BINDING=PySide6
exec "$venv/bin/python" bench/canvas_nodegraphqt.py "$@"
