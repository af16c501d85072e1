"""The wink decision measured on real photos: winks found and false winks, per set.

    python -m training.winks            # counts per set, and each photo's eye readings with -v

Sets (../shared/data): winks/dev.zip (wink/, open/, closed/, labelled for the largest face)
and posed.zip Yale (wink, normal, sleepy, happy). Every photo goes through the app's face
stage and eye reader; a photo where no face is found counts as "not a wink".
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path


from face2emoji_tray.eyes import EyeReader, Eyes
from face2emoji_tray.face import FaceFinder, InputSpec
from training.data import DATA, POSED, photo_names, photos

WINKS_DEV = DATA / "winks" / "dev.zip"
SETS = {  # name → (zip, folder prefix, is a wink)
    "dev/wink": (WINKS_DEV, "wink/", True), "dev/open": (WINKS_DEV, "open/", False),
    "dev/closed": (WINKS_DEV, "closed/", False), "yale/wink": (POSED, "yale/wink/", True),
    "yale/normal": (POSED, "yale/normal/", False), "yale/sleepy": (POSED, "yale/sleepy/", False),
    "yale/happy": (POSED, "yale/happy/", False),
}


def read_set(finder: FaceFinder, eyes: EyeReader, path: Path, prefix: str) -> list[tuple[str, Eyes | None]]:
    out = []
    names = photo_names(path, prefix)
    for name, img in zip(names, photos(path, names)):
        face = finder.prepare(img).face
        out.append((name, None if face is None else eyes.read(face)))
    return out


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-v", "--verbose", action="store_true", help="each photo's readings")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    reader, report = EyeReader(), {}
    with FaceFinder(InputSpec()) as finder:
        for name, (path, prefix, wink) in SETS.items():
            readings = read_set(finder, reader, path, prefix)
            hits = sum(bool(e and e.is_wink()) for _, e in readings)
            report[name] = {"photos": len(readings), "read_as_wink": hits,
                            "no_face": sum(e is None for _, e in readings), "is_wink": wink}
            print(f"{name:<12} read as a wink {hits}/{len(readings)}  (no face: "
                  f"{report[name]['no_face']})", flush=True)
            if args.verbose:
                for n, e in readings:
                    print(f"   {n:<40} " + ("no face" if e is None else
                          f"p_closed {e.closed[0]:.2f} {e.closed[1]:.2f}  "
                          f"ear {e.openness[0]:.3f} {e.openness[1]:.3f}"))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1), encoding="utf-8")
    return report


if __name__ == "__main__":
    main()
