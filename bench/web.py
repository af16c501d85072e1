"""The preview server: time per webcam frame (the page's JPEG, 320 px wide) and the frame
rate the page can sustain, over real HTTP on localhost.

    .venv/bin/python -m bench.web [--frames 200]
"""
from __future__ import annotations

import argparse
import http.client
import time

import cv2

from bench.common import record, stats
from tests.media import SMILE_JPG, frames_of, read_photo
from tests.processes import web_server

PAGE_FPS = 5  # live.js sends a frame every 200 ms at most


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=200)
    n = ap.parse_args().frames
    frames = [cv2.imencode(".jpg", cv2.resize(f, (320, 240)), [cv2.IMWRITE_JPEG_QUALITY, 85])[1]
              .tobytes() for f in frames_of(read_photo(SMILE_JPG), 50)]
    with web_server() as port:
        conn = http.client.HTTPConnection("127.0.0.1", port)
        times = []
        for i in range(n + 5):
            t = time.perf_counter()
            conn.request("POST", "/api/frame?session=bench", body=frames[i % len(frames)],
                         headers={"Host": f"127.0.0.1:{port}"})
            conn.getresponse().read()
            if i >= 5:
                times.append(time.perf_counter() - t)
    rows = {"server round trip per frame": stats(times)}
    rows["frames/s the server can take"] = 1000 / rows["server round trip per frame"]["median_ms"]
    rows["frames/s the page sustains"] = min(PAGE_FPS, rows["frames/s the server can take"])
    record("web", rows)


if __name__ == "__main__":
    main()
