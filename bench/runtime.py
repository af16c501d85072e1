"""Our expression model in torch vs ONNX Runtime: latency (batch 1, one thread) and the
resident memory of a process that imports the runtime and loads the model.

    .venv/bin/python -m bench.runtime
"""
from __future__ import annotations

import json
import subprocess
import sys

from bench.common import record

CHILD = r"""
import json, os, sys, time
import numpy as np
def rss():
    return int(open('/proc/self/status').read().split('VmRSS:')[1].split()[0]) / 1024
base = rss()
if sys.argv[1] == 'torch':
    import torch
    torch.set_num_threads(1)
    from training.export import load_shipped
    net, spec = load_shipped()
    x = torch.zeros(1, spec.channels, spec.size, spec.size)
    def run():
        with torch.no_grad():
            net(x)
else:
    from face2emoji_tray.classifier import Classifier
    m = Classifier(threads=1)
    crop = np.zeros((m.spec.size, m.spec.size), np.uint8)
    def run():
        m.probs([crop])
for _ in range(10):
    run()
t = []
for _ in range(200):
    s = time.perf_counter(); run(); t.append(time.perf_counter() - s)
print(json.dumps({'median_ms': float(np.median(t) * 1e3), 'p95_ms': float(np.percentile(t, 95) * 1e3),
                  'rss_mb': rss(), 'rss_added_mb': rss() - base}))
"""


def measure(runtime: str) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, runtime], capture_output=True, text=True,
                         check=True, env={"OMP_NUM_THREADS": "1", "PATH": ""}).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    torch_, ort = measure("torch"), measure("onnxruntime")
    record("runtime", {"torch (fp32)": torch_, "onnxruntime": ort,
                       "latency ratio torch / onnxruntime": torch_["median_ms"] / ort["median_ms"],
                       "memory ratio torch / onnxruntime": torch_["rss_mb"] / ort["rss_mb"]})


if __name__ == "__main__":
    main()
