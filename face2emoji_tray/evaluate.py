"""Scores for a labelled image set: accuracy, macro-F1, per-class precision/recall, and the
confusion matrix as JSON and as a picture. numpy and Pillow only (the app never imports
torch or a plotting library for this).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

NO_FACE = "no_face"  # the prediction column for images where no face was found


def confusion(truth: list[str], predicted: list[str], rows: tuple[str, ...],
              cols: tuple[str, ...]) -> np.ndarray:
    """Counts: rows are true classes, columns predicted ones."""
    cm = np.zeros((len(rows), len(cols)), dtype=np.int64)
    for t, p in zip(truth, predicted):
        cm[rows.index(t), cols.index(p)] += 1
    return cm


def scores(cm: np.ndarray, rows: tuple[str, ...], cols: tuple[str, ...]) -> dict:
    """Accuracy over all images (a missed face counts as wrong), macro-F1 over true classes."""
    per_class = {}
    for i, cls in enumerate(rows):
        tp = int(cm[i, cols.index(cls)]) if cls in cols else 0
        support, predicted = int(cm[i].sum()), int(cm[:, cols.index(cls)].sum()) if cls in cols else 0
        precision = tp / predicted if predicted else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[cls] = {"precision": precision, "recall": recall, "f1": f1, "support": support}
    present = [c for c in rows if per_class[c]["support"]]
    correct = sum(int(cm[i, cols.index(c)]) for i, c in enumerate(rows) if c in cols)
    total = int(cm.sum())
    return {"images": total, "accuracy": correct / total if total else 0.0,
            "macro_f1": float(np.mean([per_class[c]["f1"] for c in present])) if present else 0.0,
            "per_class": per_class}


def draw(cm: np.ndarray, rows: tuple[str, ...], cols: tuple[str, ...], path: Path,
         title: str = "") -> None:
    """A row-normalised confusion matrix with counts, as a PNG."""
    cell, left, top = 64, 96, 64 if title else 40
    img = Image.new("RGB", (left + cell * len(cols) + 8, top + cell * len(rows) + 24), "white")
    d = ImageDraw.Draw(img)
    font = ImageFont.load_default()
    if title:
        d.text((8, 8), title, fill="black", font=font)
    for j, c in enumerate(cols):
        d.text((left + j * cell + 4, top - 16), c[:10], fill="black", font=font)
    norm = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    for i, r in enumerate(rows):
        d.text((8, top + i * cell + cell // 2 - 6), r, fill="black", font=font)
        for j in range(len(cols)):
            shade = int(255 * (1 - norm[i, j]))
            box = (left + j * cell, top + i * cell, left + (j + 1) * cell - 2, top + (i + 1) * cell - 2)
            d.rectangle(box, fill=(shade, shade, 255))
            ink = "white" if norm[i, j] > 0.5 else "black"
            d.text((box[0] + 6, box[1] + 18), f"{norm[i, j]:.0%}\n{cm[i, j]}", fill=ink, font=font)
    d.text((8, img.height - 18), "rows: true class, columns: predicted", fill="gray", font=font)
    img.save(path)


def write(cm: np.ndarray, rows: tuple[str, ...], cols: tuple[str, ...], result: dict,
          out: Path, title: str = "") -> tuple[Path, Path]:
    """confusion.json (matrix + scores) and confusion.png in `out`."""
    out.mkdir(parents=True, exist_ok=True)
    js, png = out / "confusion.json", out / "confusion.png"
    js.write_text(json.dumps({"rows": rows, "columns": cols, "matrix": cm.tolist(), **result},
                             indent=1), encoding="utf-8")
    draw(cm, rows, cols, png, title)
    return js, png


def table(result: dict) -> str:
    """The scores as a small text table."""
    lines = [f"images {result['images']}  accuracy {result['accuracy']:.1%}  "
             f"macro-F1 {result['macro_f1']:.3f}", f"{'class':<10} precision recall  f1    n"]
    for cls, s in result["per_class"].items():
        lines.append(f"{cls:<10} {s['precision']:>8.1%} {s['recall']:>6.1%} {s['f1']:.3f} "
                     f"{s['support']:>5}")
    return "\n".join(lines)
