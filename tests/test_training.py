"""Training end to end on a few hundred real FER2013 images: train, checkpoint, resume,
export, and the exported ONNX model agrees with torch."""
from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from face2emoji_tray.classifier import Classifier
from face2emoji_tray.emoji import FACE_CLASSES
from face2emoji_tray.face import FaceFinder
from face2emoji_tray.preprocess import to_input
from tests.conftest import ROOT, fer_faces
from tests.media import SMILE_JPG, read_photo
from training import export, train


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    train.main(["--preset", "tiny", "--out", str(out), "--stop-after", "1"])
    return out


def test_a_tiny_run_checkpoints_and_resumes_where_it_stopped(tiny_run):
    first = torch.load(tiny_run / "last.pt", map_location="cpu")
    assert first["state"]["epoch"] == 1 and len(first["state"]["history"]) == 1
    train.main(["--resume", str(tiny_run)])
    second = torch.load(tiny_run / "last.pt", map_location="cpu")
    assert second["state"]["epoch"] == 2
    assert second["state"]["history"][0] == first["state"]["history"][0]
    changed = [k for k in first["model"] if not torch.equal(first["model"][k], second["model"][k])]
    assert changed  # the second epoch trained


@pytest.mark.parametrize("options", [[], ["--int8"]], ids=["fp16", "int8"])
def test_the_export_is_a_loadable_model_with_its_metadata(tiny_run, tmp_path, options):
    out = tmp_path / "expression.onnx"
    export.main([str(tiny_run / "last.pt"), "--out", str(out), *options])
    model = Classifier(out)
    assert model.classes == FACE_CLASSES and model.spec.size == 40
    assert model.info.meta["test_time_flip"] is True
    assert model.info.meta["int8"] is bool(options)
    p = model.probs(real_crops(model.spec)[:3])
    assert np.allclose(p.sum(1), 1, atol=1e-3) and (p >= 0).all()
    assert len(model.info.meta["data_sha256"]["fer2013/train.zip"]) == 64
    assert (tmp_path / "expression.pt").is_file() and (tmp_path / "SHA256SUMS").is_file()


def real_crops(spec) -> list[np.ndarray]:
    """A smiling portrait through the face stage, and public_test faces as whole images."""
    with FaceFinder(spec) as finder:
        crops = [finder.prepare(read_photo(SMILE_JPG)).face.crop]
        for cls in ("happy", "sad", "surprise", "angry", "fear", "neutral"):
            crops += [finder.prepare(f, whole_image=True).face.crop for f in fer_faces(cls, 3)]
    return crops


TOLERANCE = 0.02  # measured on the shipped int8 pair: 0.009


def test_the_shipped_onnx_model_agrees_with_its_torch_weights():
    onnx_model = Classifier(ROOT / "models" / "expression.onnx")
    net, spec = export.load_shipped(ROOT / "models" / "expression.pt")
    assert spec == onnx_model.spec
    crops = real_crops(spec)
    with torch.no_grad():
        batch = torch.from_numpy(np.stack([to_input(c, spec) for c in crops]))
        p_torch = net(batch).numpy()
    p_onnx = onnx_model.probs(crops)
    assert np.abs(p_torch - p_onnx).max() < TOLERANCE
    top2 = np.sort(p_torch, axis=1)[:, -2:]
    clear = top2[:, 1] - top2[:, 0] > 2 * TOLERANCE  # a near tie may go either way in int8
    assert clear.sum() >= len(crops) // 2
    assert (p_torch.argmax(1) == p_onnx.argmax(1))[clear].all()


def test_a_packed_copy_for_a_gpu_machine_keeps_the_validation_split(tmp_path):
    """training.pack re-encodes the training zips; a copy whose cleaned faces differ (so
    train.py's seeded validation split would move) is refused."""
    import zipfile

    from training import pack
    from training.data import DATA, SFEW

    copy = tmp_path / SFEW.relative_to(DATA)
    assert pack.pack_zip(SFEW, copy, "train/", 64) == 859
    pack.check_same_faces(tmp_path, ("sfew",), 64)
    with zipfile.ZipFile(copy) as z:  # one face turned blank: data.clean would drop it
        entries = {n: z.read(n) for n in z.namelist()}
    first = sorted(entries)[0]
    entries[first] = cv2.imencode(".jpg", np.full((64, 64), 128, np.uint8))[1].tobytes()
    with zipfile.ZipFile(copy, "w") as z:
        for name, data in entries.items():
            z.writestr(name, data)
    with pytest.raises(SystemExit, match="validation split would move"):
        pack.check_same_faces(tmp_path, ("sfew",), 64)


def test_a_second_cycle_starts_from_a_packed_run(tiny_run, tmp_path):
    """What a GPU machine sends back (int8 kernels with scales) seeds `train --init`."""
    ck = torch.load(tiny_run / "last.pt", map_location="cpu")
    tensors, scales = export.pack(ck["model"])
    packed = tmp_path / "packed.pt"
    torch.save({"model": tensors, "scales": scales, "config": ck["config"]}, packed)
    start = train.initial_weights(packed)
    conv = "conv1.weight"
    assert (start[conv] - ck["model"][conv]).abs().max() <= ck["model"][conv].abs().max() / 127
    out = train.main(["--preset", "tiny", "--init", str(packed), "--out", str(tmp_path / "run"),
                      "--stop-after", "1"])
    assert torch.load(out / "last.pt", map_location="cpu")["state"]["epoch"] == 1


def test_pack_from_the_command_line_copies_and_checks(tmp_path):
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "training.pack", str(tmp_path), "--sources",
                           "sfew"], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert "sfew: 859 images" in done.stdout and "same validation split" in done.stdout
    assert (tmp_path / "sfew" / "sfew.zip").is_file()


def test_the_validation_split_by_name_keeps_each_face_on_its_side_when_sets_change():
    """A face's side depends on its name only: adding a source moves no other face."""
    from training.data import name_split

    names = [f"fer:angry/Training_{i}.png" for i in range(2000)]
    _, held = name_split(names, 0.1)
    more = names + [f"affectnet:anger/image{i}_anger.jpg" for i in range(500)]
    _, held_more = name_split(more, 0.1)
    assert set(held) == set(held_more[held_more < len(names)])
    assert 150 < len(held) < 250


def test_an_epoch_draws_every_class_alike_and_the_posed_photos_their_share():
    from dataclasses import replace

    y = np.array([0] * 5000 + [1] * 500 + [2] * 50 + [3] * 900 + [4] * 100 + [5] * 300)
    posed = np.zeros(len(y), bool)
    posed[-300:] = True  # every class-5 face is posed, and ten of class 3
    posed[5550:5560] = True
    cfg = replace(train.PRESETS["posed"], epoch_samples=30000, posed_share=0.2)
    order = train.epoch_order(y, posed, cfg, epoch=0)
    assert len(order) == 30000
    assert abs(posed[order].mean() - 0.2) < 0.02
    counts = np.bincount(y[order][~posed[order]], minlength=6)[:5]  # class 5: posed only
    assert counts.min() > 0.8 * counts.max()  # 5000 angry faces no longer drown the 50 neutral
    assert not (order == train.epoch_order(y, posed, cfg, epoch=1)).all()


def test_fer_faces_learn_the_ferplus_vote_shares_and_affectnet_only_agreed_labels():
    from training.data import (AFFECTNET_NAMES, affectnet_label_of, ferplus_votes, tcce_label,
                               DATA)

    votes = ferplus_votes()
    first = votes["angry/Training_10118481"]  # anger 7, sadness 1, neutral 2 of ten
    assert first[FACE_CLASSES.index("angry")] == pytest.approx(0.7)
    assert first[FACE_CLASSES.index("neutral")] == pytest.approx(0.2)
    assert all(abs(v.sum() - 1) < 1e-6 for v in list(votes.values())[:100])
    label = affectnet_label_of(DATA, disgust_as_angry=True)
    assert label("anger/image0000060_anger.jpg") == FACE_CLASSES.index("angry")  # agreed
    assert label("anger/image0000006_anger.jpg") is None  # labels.csv says surprise
    assert label("happiness/ffhq_4701_happiness.jpg") is None  # no row
    assert AFFECTNET_NAMES["fear"] == "fear"
    assert tcce_label("tcce/2111f03.jpg") == "scared"
    assert tcce_label("tcce/1300a01.jpg") == "neutral"
    assert tcce_label("tcce/0212e04.jpg") == "angry"  # disgust is folded into angry
    assert tcce_label("tcce/0212e04.jpg", disgust_as_angry=False) is None


@pytest.mark.parametrize("frozen", [0, 2], ids=["whole network", "frozen trunk"])
def test_a_fine_tune_draws_its_epoch_from_more_faces_than_it_sees(tmp_path, frozen):
    """An epoch of `epoch_samples` drawn faces, fewer than the training set, runs to its end
    whether the whole network trains (pixel augmentation) or a cached trunk's head does."""
    from dataclasses import replace

    train.PRESETS["tiny-posed"] = replace(train.PRESETS["tiny"], sources=("sfew",),
                                          epoch_samples=40, split_by_name=True,
                                          frozen_stages=frozen, max_batches=None, limit=None)
    try:
        out = train.main(["--preset", "tiny-posed", "--out", str(tmp_path), "--epochs", "1"])
    finally:
        del train.PRESETS["tiny-posed"]
    history = torch.load(out / "epoch1.pt", map_location="cpu")["state"]["history"]
    assert len(history) == 1 and history[0]["loss"] > 0


def test_an_export_s_checksums_keep_the_face_model_s_line(tmp_path):
    """An export rewrote SHA256SUMS from the .onnx and .pt files alone and dropped
    face_landmarker.task's line (found when the shape model was first exported)."""
    for name in ("expression.onnx", "expression.pt", "face_landmarker.task", "README.md"):
        (tmp_path / name).write_bytes(name.encode())
    export.write_checksums(tmp_path)
    lines = (tmp_path / "SHA256SUMS").read_text().splitlines()
    assert [line.split()[1] for line in lines] == ["expression.onnx", "expression.pt",
                                                   "face_landmarker.task"]


def test_every_shipped_model_file_has_its_checksum():
    import hashlib

    listed = dict(reversed(line.split()) for line in
                  (ROOT / "models" / "SHA256SUMS").read_text().splitlines())
    for path in (ROOT / "models").iterdir():
        if path.suffix in (".onnx", ".pt", ".task"):
            assert listed.pop(path.name) == hashlib.sha256(path.read_bytes()).hexdigest(), path
    assert not listed, f"listed but not shipped: {listed}"


def test_the_shape_network_learns_fer_plus_vote_shares_and_disgust_as_angry():
    """Most FER2013 faces' vote shares were replaced by the majority label before the shape
    network learnt from them (a fold of disgust into angry that matched every row whose shares
    add up to exactly 1)."""
    from training.fusion import Faces, fold_disgust

    shares = np.array([[0.5, 0.5, 0, 0, 0, 0], [0, 0, 1, 0, 0, 0], [1, 0, 0, 0, 0, 0]], np.float32)
    faces = Faces("fer", np.zeros((3, 1)), shares.copy(), np.array([0, 2, -1]), shares.copy(),
                  np.array(["", "", ""]), np.array(["a", "b", "c"]), np.ones(3, bool))
    fold_disgust(faces)
    assert faces.soft[0].tolist() == [0.5, 0.5, 0, 0, 0, 0]
    assert faces.y.tolist() == [0, 2, FACE_CLASSES.index("angry")]
    assert faces.soft[2].argmax() == FACE_CLASSES.index("angry")


def test_the_mix_can_count_each_wild_source_alike():
    """Pooled, AffectNet's many held-out faces outweigh FER2013's; alike, each source counts
    the same (sources under 50 faces are too few to count)."""
    from training.fusion import Faces, validation_score

    def faces(name, right, wrong):
        y = np.zeros(right + wrong, int)
        probs = np.eye(6)[np.r_[np.zeros(right, int), np.ones(wrong, int)]]
        return Faces(name, np.zeros((len(y), 1)), probs, y, probs, np.array([""] * len(y)),
                     np.array([""] * len(y)), np.ones(len(y), bool)), probs

    sets = [faces("tfeid held", 50, 50), faces("affectnet held", 900, 100),
            faces("fer held", 50, 50), faces("sfew-train held", 0, 10)]
    val, probs = [f for f, _ in sets], [p for _, p in sets]
    assert validation_score(val, probs) == pytest.approx((0.5 + 950 / 1110) / 2)
    assert validation_score(val, probs, wild_alike=True) == pytest.approx((0.5 + (0.9 + 0.5) / 2) / 2)
