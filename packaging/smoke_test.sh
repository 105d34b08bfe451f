#!/usr/bin/env bash
# Smoke test of the frozen bundle, run without any virtualenv (env -i, minimal PATH).
#
#   bash packaging/smoke_test.sh                     test dist/interlock/
#   bash packaging/smoke_test.sh dist/interlock_0.1.0_amd64.deb
#                                                    dpkg -x the .deb into a temp dir
#                                                    (no root install) and test that
#
# Checks: `interlock --help` lists `app` (entry points survived freezing); `interlock run`
# of resources/examples/hello.interlock.yaml (the bundled SmolLM2, offline) ends
# `succeeded`; `interlock report RUN --format pdf` (the desktop's PDF renderer, an entry
# point) writes a PDF; `interlock models --json` lists gemma3-270m (its first use assembles
# the GGUF from the bundled part packages into INTERLOCK_DATA_DIR/models, SHA-256 checked);
# an offline (INTERLOCK_OFFLINE=1) run of packaging/smoke/gemma.interlock.yaml, whose llm
# node pins gemma3-270m, ends `succeeded` with the label `negative` from one local call to
# that model (the base model refuses chat, so this is the few-shot completion path);
# `interlock app FILE` under QT_QPA_PLATFORM=offscreen is still alive after $GUI_SECONDS s
# (default 6) and printed no traceback. Exit 0 only if all pass.
# A bundle built with INTERLOCK_BUNDLE_GEMMA=0 is tested with the same variable set: then
# gemma3-270m must be missing from `interlock models` and the Gemma run is skipped.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
target=$(realpath -- "${1:-$root/dist/interlock}")  # absolute: the checks run from a temp dir
gui_seconds=${GUI_SECONDS:-6}
gemma=${INTERLOCK_BUNDLE_GEMMA:-1}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/interlock-smoke.XXXXXX")
gui_pid=""
cleanup() {
    if [ -n "$gui_pid" ] && kill -0 "$gui_pid" 2>/dev/null; then
        kill "$gui_pid" 2>/dev/null || true
        wait "$gui_pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() { printf 'smoke_test: FAIL: %s\n' "$*" >&2; exit 1; }
ok() { printf 'smoke_test: ok (%3d s): %s\n' "$SECONDS" "$*"; }

case "$target" in
    *.deb)
        dpkg-deb -x "$target" "$tmp/root"
        exe="$tmp/root/opt/interlock/interlock"
        [ -L "$tmp/root/usr/bin/interlock" ] || fail "the .deb has no /usr/bin/interlock symlink"
        [ -f "$tmp/root/usr/share/applications/interlock.desktop" ] || fail "no .desktop file"
        ;;
    *)
        exe="$target/interlock"
        ;;
esac
[ -x "$exe" ] || fail "$exe is not an executable (build it: bash packaging/build_bundle.sh)"

work="$tmp/work"
mkdir -p "$work"
cp "$root/resources/examples/hello.interlock.yaml" "$here/smoke/gemma.interlock.yaml" "$work/"
cd "$work"

# No virtualenv, no pyenv shims, no PYTHON*: only what a fresh desktop session would have.
run_clean() {
    env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$tmp/home" LANG=C.UTF-8 \
        INTERLOCK_DB="$tmp/interlock.db" INTERLOCK_DATA_DIR="$tmp/data" \
        XDG_RUNTIME_DIR="$tmp/xdg" "$@"
}
mkdir -p "$tmp/home" "$tmp/xdg" && chmod 700 "$tmp/xdg"

run_clean "$exe" --help >help.txt || fail "interlock --help exited $?"
grep -qE '^ +app +open the desktop app' help.txt || fail "'app' missing from --help (entry points lost)"
ok "--help lists app"

rc=0
run_clean "$exe" run hello.interlock.yaml --json >run.json 2>run.err || rc=$?
[ "$rc" -eq 0 ] || { tail -20 run.err >&2; fail "interlock run exited $rc"; }
status=$(sed -n 's/^  "status": "\(.*\)",$/\1/p' run.json)
[ "$status" = succeeded ] || { cat run.json >&2; fail "run status is '$status'"; }
run_id=$(sed -n 's/^  "run_id": "\(.*\)",$/\1/p' run.json)
ok "run hello.interlock.yaml: $status ($run_id)"

run_clean QT_QPA_PLATFORM=offscreen "$exe" report "$run_id" --format pdf -o report.pdf \
    2>report.err || { cat report.err >&2; fail "report --format pdf failed"; }
[ "$(head -c 5 report.pdf)" = "%PDF-" ] || fail "report.pdf is not a PDF"
ok "report --format pdf ($(wc -c <report.pdf) bytes)"

rc=0
run_clean "$exe" models --json >models.json 2>models.err || rc=$?
[ "$rc" -eq 0 ] || { tail -20 models.err >&2; fail "interlock models --json exited $rc"; }
grep -q '"model_id": "smollm2-135m-instruct"' models.json || fail "models lists no SmolLM2"
gguf="$tmp/data/models/gemma-3-270m-q4_k_m.gguf"
if [ "$gemma" = 0 ]; then
    grep -q '"model_id": "gemma3-270m"' models.json && fail "gemma3-270m listed in a bundle built without it"
    ok "models: smollm2-135m-instruct (bundle built with INTERLOCK_BUNDLE_GEMMA=0: no Gemma 3)"
else
    grep -q '"model_id": "gemma3-270m"' models.json \
        || { cat models.err >&2; fail "gemma3-270m is not available in the bundle"; }
    [ -f "$gguf" ] || fail "gemma3-270m was not assembled into $gguf"
    ok "models: smollm2-135m-instruct, gemma3-270m (assembled into the data dir, $(du -m "$gguf" | cut -f1) MB)"

    rc=0
    run_clean INTERLOCK_OFFLINE=1 "$exe" run gemma.interlock.yaml --json >gemma.json 2>gemma.err || rc=$?
    [ "$rc" -eq 0 ] || { tail -20 gemma.err >&2; fail "interlock run gemma.interlock.yaml exited $rc"; }
    status=$(sed -n 's/^  "status": "\(.*\)",$/\1/p' gemma.json)
    [ "$status" = succeeded ] || { cat gemma.json >&2; tail -20 gemma.err >&2; fail "Gemma run status is '$status'"; }
    grep -q '"sentiment": "negative"' gemma.json || { cat gemma.json >&2; fail "Gemma labelled a complaint other than negative"; }
    gemma_id=$(sed -n 's/^  "run_id": "\(.*\)",$/\1/p' gemma.json)
    run_clean "$exe" show "$gemma_id" --json >gemma-show.json 2>gemma-show.err \
        || { cat gemma-show.err >&2; fail "interlock show $gemma_id failed"; }
    calls=$(sed -n '/"model_calls": \[/,/^  \]/p' gemma-show.json)
    [ "$(grep -c '"call": ' <<<"$calls")" -eq 1 ] \
        && grep -q '"model": "gemma3-270m"' <<<"$calls" && grep -q '"outcome": "ok"' <<<"$calls" \
        && grep -q '"remote": false' <<<"$calls" \
        || { echo "$calls" >&2; fail "the Gemma run did not make exactly one local gemma3-270m call"; }
    ok "run gemma.interlock.yaml offline: $status, negative, one gemma3-270m call ($gemma_id)"
fi

# exec: $! must be the app itself, not a subshell around it, or `kill` would orphan it.
(exec env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$tmp/home" LANG=C.UTF-8 \
    INTERLOCK_DB="$tmp/interlock.db" INTERLOCK_DATA_DIR="$tmp/data" XDG_RUNTIME_DIR="$tmp/xdg" \
    QT_QPA_PLATFORM=offscreen "$exe" app hello.interlock.yaml >gui.out 2>gui.err) &
gui_pid=$!
sleep "$gui_seconds"
kill -0 "$gui_pid" 2>/dev/null || { cat gui.err >&2; fail "interlock app exited within ${gui_seconds}s"; }
kill "$gui_pid"
wait "$gui_pid" 2>/dev/null || true
kill -0 "$gui_pid" 2>/dev/null && fail "interlock app (pid $gui_pid) survived SIGTERM"
gui_pid=""
if grep -q 'Traceback' gui.out gui.err; then
    cat gui.err >&2
    fail "interlock app printed a traceback"
fi
ok "app stayed up ${gui_seconds}s offscreen, no traceback"
echo "smoke_test: all passed ($exe)"
