"""The preview server: time per webcam frame (the page's JPEG, 320 px wide) and the frame
rate the page can sustain, over real HTTP on localhost, sent as the page sends them (its
Origin and secret); then the server's peak memory under bursts of concurrent huge uploads
(12 at once by default: flat PNGs of ~200 kB, 8000x8000, which are refused from their
header, and 6000x6000 at 36 MP, which are decoded) and what each request was answered.

    .venv/bin/python -m bench.web [--frames 200] [--burst 12]
"""
from __future__ import annotations

import argparse
import http.client
import io
import json
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
from PIL import Image

from bench.common import record, rss_mb, stats
from tests.browser import Preview, preview_server
from tests.media import SMILE_JPG, frames_of, read_photo

PAGE_FPS = 5  # live.js sends a frame every 200 ms at most
HUGE = {"8000x8000 PNG (64 MP: refused)": 8000, "6000x6000 PNG (36 MP: decoded)": 6000}


def post(preview: Preview, headers: dict, path: str, body: bytes,
         conn: http.client.HTTPConnection | None = None) -> int:
    conn = conn or http.client.HTTPConnection("127.0.0.1", preview.port, timeout=300)
    conn.request("POST", path, body=body, headers=headers)
    resp = conn.getresponse()
    resp.read()
    return resp.status


def frame_times(preview: Preview, headers: dict, n: int) -> list[float]:
    frames = [cv2.imencode(".jpg", cv2.resize(f, (320, 240)), [cv2.IMWRITE_JPEG_QUALITY, 85])[1]
              .tobytes() for f in frames_of(read_photo(SMILE_JPG), 50)]
    conn = http.client.HTTPConnection("127.0.0.1", preview.port)
    times = []
    for i in range(n + 5):
        t = time.perf_counter()
        post(preview, headers, "/api/frame?session=bench", frames[i % len(frames)], conn)
        if i >= 5:
            times.append(time.perf_counter() - t)
    return times


def flat_png(side: int) -> bytes:
    """A flat grey picture: tiny as a PNG, `side`² × 3 bytes once decoded."""
    out = io.BytesIO()
    Image.new("RGB", (side, side), (120, 130, 140)).save(out, "PNG")
    return out.getvalue()


def burst(preview: Preview, headers: dict, pid: int, side: int, n: int) -> dict:
    """`n` uploads at once: the server's resident memory before and at its peak (the kernel's
    high-water mark, reset first), what each was answered, and how long the burst took."""
    png = flat_png(side)
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    before = rss_mb(pid)
    t = time.perf_counter()
    with ThreadPoolExecutor(n) as pool:
        answers = Counter(pool.map(lambda _: post(preview, headers, "/api/photo", png), range(n)))
    took = time.perf_counter() - t
    peak = next(int(line.split()[1]) / 1024 for line in
                Path(f"/proc/{pid}/status").read_text().splitlines() if line.startswith("VmHWM:"))
    return {"upload_kB": len(png) // 1024, "rss_before_MB": round(before),
            "peak_rss_MB": round(peak), "answered": sum(answers.values()), "of": n,
            "statuses": dict(sorted(answers.items())), "seconds": round(took, 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=200)
    ap.add_argument("--burst", type=int, default=12, help="uploads sent at once")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as base, preview_server(Path(base)) as preview:
        headers = preview.headers()
        pid = json.loads((preview.runtime / "face2emoji" / f"preview-{preview.port}.json")
                         .read_text())["pid"]
        times = frame_times(preview, headers, args.frames)
        rows = {"server round trip per frame": stats(times)}
        rows["frames/s the server can take"] = 1000 / rows["server round trip per frame"][
            "median_ms"]
        rows["frames/s the page sustains"] = min(PAGE_FPS, rows["frames/s the server can take"])
        for name, side in HUGE.items():
            rows[f"{args.burst} x {name} at once"] = burst(preview, headers, pid, side,
                                                           args.burst)
    record("web", rows)


if __name__ == "__main__":
    main()
