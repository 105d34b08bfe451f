"""Start-up times of the frozen bundle against the dev venv (bench/README.md, "Bundle").

    python3 packaging/pyinstaller/bundle_timings.py [--rounds 9]

Interleaved rounds, each a fresh process in a clean environment (no virtualenv on PATH):
`interlock --help`; `interlock run` of a no-LLM workflow (input -> template -> output) on a
fresh and on an existing database; launch to the canvas's first paint of `interlock app`
on the hello example, offscreen (INTERLOCK_FIRST_PAINT_EXIT, see interlock_launcher.py).
The dev venv runs the same launcher with .venv/bin/python. Then the bundle once more with
its files evicted from the page cache (posix_fadvise DONTNEED; shared system libraries
stay cached, and a host-side disk cache may still serve the reads).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "dist" / "interlock"
VENV = [
    str(ROOT / ".venv" / "bin" / "python"),
    str(Path(__file__).with_name("interlock_launcher.py")),
]
NOOP = """\
version: 1
metadata:
  name: Greeting
inputs:
  - {name: name, type: string, required: true}
nodes:
  - {id: name, kind: input}
  - id: greet
    kind: template
    config: {inputs: [name], template: "Hello, {{ name }}!"}
  - {id: greeting, kind: output}
edges:
  - {source: name.value, target: greet.name}
  - {source: greet.text, target: greeting.value}
"""
RUN = ["run", "noop.interlock.yaml", "-i", "name=Ada", "-q", "--json"]


def timed(cmd: list[str], env: dict[str, str], cwd: Path) -> float:
    """Wall seconds of one process, or launch-to-first-paint for `app`."""
    if "app" in cmd:
        t0 = time.time()
        env = {**env, "INTERLOCK_FIRST_PAINT_EXIT": repr(t0)}
        out = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=60)
        lines = [x for x in out.stderr.splitlines() if x.startswith("first-paint ")]
        if not lines:
            raise SystemExit(f"no first paint: {out.stderr[-2000:]}")
        return float(lines[-1].split()[1])
    start = time.perf_counter()
    subprocess.run(cmd, env=env, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def evict(root: Path) -> None:
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="interlock-timings-") as tmp_name:
        tmp = Path(tmp_name)
        (tmp / "noop.interlock.yaml").write_text(NOOP, encoding="utf-8")
        hello = ROOT / "resources" / "examples" / "hello.interlock.yaml"
        (tmp / "hello.interlock.yaml").write_bytes(hello.read_bytes())
        (tmp / "home").mkdir()
        env = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp / "home"),
            "LANG": "C.UTF-8",
            "INTERLOCK_DB": str(tmp / "i.db"),
            "INTERLOCK_DATA_DIR": str(tmp / "data"),
            "QT_QPA_PLATFORM": "offscreen",
        }
        variants = {"bundle": [str(BUNDLE / "interlock")], "venv": VENV}
        cases = {
            "--help": ["--help"],
            "run (fresh db)": RUN,
            "run": RUN,
            "app first paint": ["app", "hello.interlock.yaml"],
        }
        times: dict[tuple[str, str], list[float]] = {}
        for r in range(args.rounds):
            for name, cmd in variants.items():
                for case, case_args in cases.items():
                    case_env = env
                    if case == "run (fresh db)":
                        case_env = {**env, "INTERLOCK_DB": str(tmp / f"fresh-{name}-{r}.db")}
                    times.setdefault((name, case), []).append(timed(cmd + case_args, case_env, tmp))
        print("| case | bundle first | bundle median | venv first | venv median | bundle/venv |")
        print("|---|---|---|---|---|---|")
        for case in cases:
            b, v = times[("bundle", case)], times[("venv", case)]
            bm, vm = statistics.median(b[1:]), statistics.median(v[1:])
            cells = [f"{b[0]:.3f} s", f"{bm:.3f} s", f"{v[0]:.3f} s", f"{vm:.3f} s"]
            print(f"| {case} | {' | '.join(cells)} | {bm / vm:.2f}x |")
        for case, case_args in cases.items():
            if case == "run (fresh db)":
                continue
            cold = []
            for _ in range(3):
                evict(BUNDLE)
                cold.append(timed(variants["bundle"] + case_args, env, tmp))
            print(
                f"bundle, files evicted from the page cache, {case}: "
                f"median of 3 {statistics.median(cold):.3f} s"
            )


if __name__ == "__main__":
    main()
