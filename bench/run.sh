#!/usr/bin/env bash
# Engine overhead benchmark: Interlock against LangGraph on the same no-op DAGs, in one
# invocation. LangGraph lives only in its own venv, .venv-bench, never in the app's .venv.
#
#   bash bench/run.sh [ARGS]     ARGS go to bench/engine_overhead.py (--help lists them)
#
# Environment: PYTHON=/path/to/python3.11 picks the interpreter for a new .venv-bench.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

venv="$root/.venv-bench"
stamp="$venv/.bench-setup.stamp"
want=$(cat pyproject.toml bench/run.sh | sha256sum | cut -d' ' -f1)

if ! [ -x "$venv/bin/python" ]; then
    "${PYTHON:-python3.11}" -m venv "$venv"
fi
if ! [ -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    printf '== Installing Interlock and LangGraph into %s\n' "$venv"
    # The `bench` extra is LangGraph; its SQLite checkpointer is a separate package.
    "$venv/bin/python" -m pip install --progress-bar off -e '.[bench]' langgraph-checkpoint-sqlite
    echo "$want" >"$stamp"
fi

exec "$venv/bin/python" bench/engine_overhead.py "$@"
