"""Shared by the bench scripts: timing statistics, a results table, the JSON record."""
from __future__ import annotations

import json
import platform
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"


def stats(seconds: list[float]) -> dict:
    ms = np.array(seconds) * 1e3
    return {"median_ms": float(np.median(ms)), "p95_ms": float(np.percentile(ms, 95)),
            "n": int(len(ms))}


def timed(fn, repeat: int, warmup: int = 5) -> dict:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return stats(times)


def rss_mb(pid: int | str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu() -> dict:
    """The processor a figure came from: int8 speed (and, before the 7-bit weights, int8
    results) depend on its instruction sets."""
    info = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = next((line.split(":", 1)[1].strip() for line in info.splitlines()
                  if line.startswith("model name")), platform.processor() or platform.machine())
    flags = set(next((line.split(":", 1)[1].split() for line in info.splitlines()
                      if line.startswith("flags")), []))
    return {"model": model, "avx2": "avx2" in flags, "avx512": "avx512f" in flags,
            "vnni": bool({"avx512_vnni", "avx_vnni"} & flags)}


def record(name: str, rows: dict) -> None:
    """Print a table and write bench/results/<name>.json with the machine it ran on."""
    width = max(map(len, rows))
    for key, value in rows.items():
        if isinstance(value, dict):
            value = "  ".join(f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}"
                              for k, v in value.items())
        elif isinstance(value, float):
            value = f"{value:.2f}"
        print(f"{key:<{width}}  {value}")
    RESULTS.mkdir(exist_ok=True)
    machine = {"cpu": cpu(), "python": platform.python_version(),
               "cores": __import__("os").cpu_count()}
    (RESULTS / f"{name}.json").write_text(json.dumps({"machine": machine, "results": rows},
                                                     indent=1), encoding="utf-8")
