#!/usr/bin/env bash
# llama.cpp's own llama-bench, built from the llama.cpp source vendored in the installed
# llama-cpp-python's sdist, run on the bundled SmolLM2 GGUF. Prints llama-bench's JSON.
#
#   bash bench/llama_bench.sh [OUT.json]      (writes the JSON to OUT.json too, if given)
#
# The build is cached in .venv-bench/llama.cpp-build/ (keyed on the llama-cpp-python
# version) and skipped when present. It uses the same CMake defaults llama-cpp-python's
# build does (Release, GGML_NATIVE, shared libs), so both run the same kernels.
# Environment: THREADS (default 2), PROMPT (64), GEN (64), REPS (5).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
py="$root/.venv/bin/python"
version=$("$py" -c 'import importlib.metadata as m; print(m.version("llama-cpp-python"))')
cache="$root/.venv-bench/llama.cpp-build"
build="$cache/$version"
bin="$build/bin/llama-bench"

if ! [ -x "$bin" ]; then
    for tool in cmake c++ tar; do
        command -v "$tool" >/dev/null || { echo "$tool is missing (apt-get install cmake build-essential)" >&2; exit 1; }
    done
    src="$cache/src-$version"
    if ! [ -f "$src/vendor/llama.cpp/CMakeLists.txt" ]; then
        dl=$(mktemp -d)
        trap 'rm -rf "$dl"' EXIT
        printf '== Fetching the llama-cpp-python %s sdist\n' "$version" >&2
        "$py" -m pip download --quiet --no-deps --no-binary :all: \
            "llama-cpp-python==$version" -d "$dl" >&2
        mkdir -p "$src"
        tar -xzf "$dl"/llama_cpp_python-"$version".tar.gz -C "$src" --strip-components=1
    fi
    printf '== Building llama-bench from %s/vendor/llama.cpp (a few minutes on 2 cores)\n' \
        "$src" >&2
    cmake -S "$src/vendor/llama.cpp" -B "$build" -DCMAKE_BUILD_TYPE=Release \
        -DBUILD_SHARED_LIBS=ON -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
        -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_SERVER=OFF -DLLAMA_OPENSSL=OFF >&2
    cmake --build "$build" --target llama-bench -j "$(nproc)" >&2
fi

model=$("$py" -c 'from local_models.bundled import smollm2_path; print(smollm2_path())')
out=$("$bin" -m "$model" -p "${PROMPT:-64}" -n "${GEN:-64}" -t "${THREADS:-2}" \
    -r "${REPS:-5}" -o json)
if [ $# -ge 1 ]; then
    printf '%s\n' "$out" >"$1"
fi
printf '%s\n' "$out"
