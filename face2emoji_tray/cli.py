"""The `face2emoji` command: the tray app by default, and its tools beside it.

    face2emoji [--source PATH|INDEX] [--hotkey HOTKEY] [--config PATH]   the tray app
    face2emoji predict PATH... [--json] [--face-crop] [--profile F]      classify photos
    face2emoji eval DIR [--face-crop] [--out DIR] [--profile F]          score a labelled set
    face2emoji calibrate DIR [--profile F] | --forget                    teach it your faces
    face2emoji doctor                                                    can it run here?
    face2emoji type-now | status | pause | resume | quit                 ask the running app
    face2emoji web [--port N] [--no-browser] [--calibrate]               the local preview page

Exit codes: 0 fine; 1 a failed check, an unreadable image, no running app to ask, the
preview's port taken by another program, or a file or private folder it cannot use (another
user's runtime folder, a profile it cannot write); 2 bad usage; 3 a model file is missing or
broken; 4 the tray app is already running. Names from outside are printed escaped (say).
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from face2emoji_tray.classifier import EXPRESSION_MODEL, EYE_MODEL, ModelError
from face2emoji_tray.config import PORTS, Config, valid_hotkey
from face2emoji_tray.printable import printable, printable_json
from face2emoji_tray.profile import ProfileError

EXIT_ERROR, EXIT_USAGE, EXIT_MODEL, EXIT_RUNNING = 1, 2, 3, 4
ASK_COMMANDS = {"type-now": "type", "status": "status", "pause": "pause", "resume": "resume",
                "quit": "quit"}


def say(line: str, err: bool = False) -> None:
    """Print one line that may hold a path or a name from outside (printable.py: a file's
    name must not drive the terminal)."""
    print(printable(line), file=sys.stderr if err else sys.stdout)


def fail(message: str, code: int = EXIT_ERROR) -> int:
    say(f"face2emoji: {message}", err=True)
    return code


def cmd_tray(args: argparse.Namespace) -> int:
    from face2emoji_tray import camera, config as config_mod
    from face2emoji_tray.app import App, setup_logging
    from face2emoji_tray.classifier import Classifier
    from face2emoji_tray.files import reason
    from face2emoji_tray.instance import AlreadyRunning, ControlError
    from face2emoji_tray.shape import ShapeFusion

    config_path = args.config or config_mod.CONFIG_FILE
    config, problems = config_mod.load(config_path, create=args.config is None)
    expression, eyes = (Classifier(m) for m in (args.model, EYE_MODEL))  # broken: exit 3 now
    shape = ShapeFusion(classes=expression.classes)
    source = camera.from_arg(args.source if args.source is not None else config.camera)
    hotkey = args.hotkey or config.hotkey
    try:
        app = App(source, config, config_path, expression, problems, eyes, shape)
    except AlreadyRunning as exc:
        return fail(str(exc), EXIT_RUNNING)
    except ControlError as exc:  # e.g. the runtime folder is another user's
        return fail(str(exc))
    try:
        setup_logging()
    except OSError as exc:
        return fail(f"cannot write the log: {reason(exc)}")
    return app.run(hotkey)


def chosen_profile(args: argparse.Namespace, model):
    """--profile FILE, --no-profile, or by default the user's own profile where there is one
    (a broken or foreign one is reported in one line and not used)."""
    from face2emoji_tray import profile

    if args.no_profile:
        return None
    if args.profile is not None:
        return profile.load(args.profile, model)
    found, note = profile.load_default(model)
    if found is None and note:
        say(f"face2emoji: {note} (not used)", err=True)
    return found


def cmd_predict(args: argparse.Namespace) -> int:
    from face2emoji_tray import images
    from face2emoji_tray.classifier import Classifier
    from face2emoji_tray.config import load
    from face2emoji_tray.profile import typed
    from face2emoji_tray.recognizer import Recognizer

    settings = load()[0].emoji
    model = Classifier(args.model)
    recognizer = Recognizer(model, profile=chosen_profile(args, model))
    code = 0
    for path in images.walk(args.paths):
        try:
            reading = recognizer.read(images.read(path), whole_image=args.face_crop)
        except images.ImageError as exc:
            say(f"{path}: error: {exc}", err=True)
            code = EXIT_ERROR
            continue
        label = reading.label()
        emoji = None if label is None else typed(label, settings, recognizer.profile)
        if args.json:
            pose = None if reading.pose is None else dataclasses.asdict(reading.pose)
            print(printable_json({"path": str(path), "label": label, "emoji": emoji,
                                  "probs": reading.probs, "faces": reading.faces,
                                  "blendshapes": reading.blendshapes, "pose": pose}))
        elif label is None:
            say(f"{path}: no face found" + (f" ({reading.note})" if reading.note else ""))
        else:
            top = sorted(reading.probs.items(), key=lambda kv: -kv[1])
            more = f"  [{reading.faces} faces: the largest]" if reading.faces > 1 else ""
            say(f"{path}: {emoji} {label}  " + " ".join(f"{c} {p:.0%}" for c, p in top) + more)
    recognizer.close()
    return code


def labelled_images(folder: Path) -> list[tuple[Path, str]]:
    """DIR/<class>/image → (image, our class); folders that are not our classes are skipped."""
    from face2emoji_tray import images
    from face2emoji_tray.emoji import our_class

    out = []
    for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
        cls = our_class(sub.name)
        if cls is None:
            say(f"skipping {sub.name}/: not one of our classes", err=True)
            continue
        out += [(f, cls) for f in images.walk([sub])]
    return out


def faces_in(folder: Path, classes: tuple[str, ...]) -> list[tuple[Path, str]]:
    """DIR/<face>/image → (image, face): one of the model's `classes` (FER2013 names too),
    the wink, or any other name: a taught face of that name. Other built-in names and names
    that cannot be a face's are reported and skipped."""
    from face2emoji_tray import images
    from face2emoji_tray.emoji import name_problem, nfc, our_class
    from face2emoji_tray.profile import WINK

    out = []
    for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
        face = our_class(sub.name) or nfc(sub.name)
        if face not in (*classes, WINK) and (why := name_problem(face)):
            say(f"skipping a folder: {why}", err=True)  # escaped: the name may hold keys
            continue
        out += [(f, face) for f in images.walk([sub])]
    return out


def cmd_eval(args: argparse.Namespace) -> int:
    from face2emoji_tray import evaluate, images
    from face2emoji_tray.emoji import CLASSES
    from face2emoji_tray.files import reason
    from face2emoji_tray.recognizer import Recognizer

    if not args.dir.is_dir():
        return fail(f"{args.dir}: not a folder")
    if args.out.exists() and not args.out.is_dir():  # before the work, not after it
        return fail(f"{args.out}: not a folder (--out is where confusion.json and .png go)")
    items = labelled_images(args.dir)
    if not items:
        return fail(f"{args.dir}: no images in class folders (DIR/happy/*.jpg, ...)")
    from face2emoji_tray.classifier import Classifier

    model = Classifier(args.model)
    recognizer = Recognizer(model, profile=chosen_profile(args, model))
    truth, predicted = [], []
    for path, cls in items:
        try:
            reading = recognizer.read(images.read(path), whole_image=args.face_crop)
        except images.ImageError as exc:
            say(f"{path}: error: {exc}", err=True)
            continue
        truth.append(cls)
        predicted.append(reading.label() or evaluate.NO_FACE)
    recognizer.close()
    rows = tuple(c for c in CLASSES if c in truth)
    cols = tuple(c for c in CLASSES if c in truth or c in predicted)
    cols += tuple(sorted({p for p in predicted if p not in CLASSES and p != evaluate.NO_FACE}))
    cols += (evaluate.NO_FACE,) if evaluate.NO_FACE in predicted else ()
    cm = evaluate.confusion(truth, predicted, rows, cols)
    result = evaluate.scores(cm, rows, cols)
    print(evaluate.table(result))
    try:
        js, png = evaluate.write(cm, rows, cols, result, args.out, title=str(args.dir))
    except OSError as exc:
        return fail(f"{args.out}: cannot write the scores ({reason(exc)})")
    say(f"wrote {js} and {png}")
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Photos of one person in DIR/<face>/ → a profile of their faces (a folder that is not
    a class teaches a face of that name)."""
    from face2emoji_tray import images, profile
    from face2emoji_tray.config import load as load_settings
    from face2emoji_tray.files import reason
    from face2emoji_tray.recognizer import Recognizer

    target = args.profile or profile.default_path()
    if args.forget:  # ProfileError (one line) for a folder, or a named file that is no profile
        say(f"forgot {target}" if profile.forget(args.profile) else f"no profile at {target}")
        return 0
    if args.profile is not None and (why := profile.not_a_profile(target)):
        return fail(f"{target}: {why}; not replaced (name a new file or a profile)")
    if args.dir is None or not args.dir.is_dir():
        return fail(f"{args.dir}: not a folder (DIR/happy/*.jpg, DIR/neutral/*.jpg, DIR/wink/*.jpg, "
                    "...)", EXIT_USAGE)
    recognizer = Recognizer(args.model)
    if not recognizer.classifier.has_features:
        return fail(f"{args.model}: this model has no features output; export it again", EXIT_MODEL)
    features: dict[str, list] = {}
    eyes: dict[str, list] = {}  # per class, the eye readings: the wink against the rest
    for path, cls in faces_in(args.dir, recognizer.classifier.classes):
        try:
            reading = recognizer.read(images.read(path), whole_image=args.face_crop)
        except images.ImageError as exc:
            say(f"{path}: skipped: {exc}", err=True)
            continue
        if reading.faces != 1 or reading.features is None:
            why = "no face found" if reading.faces == 0 else f"{reading.faces} faces, need one"
            say(f"{path}: skipped: {why}", err=True)
            continue
        if reading.eyes is not None:
            eyes.setdefault(cls, []).append(reading.eyes)
        elif cls == profile.WINK:
            say(f"{path}: skipped: the eyes could not be measured", err=True)
            continue
        features.setdefault(cls, []).append(reading.features)
    recognizer.close()
    try:
        built = profile.Profile.build(recognizer.classifier.sha256, features, eyes)
    except ValueError as exc:
        return fail(f"{args.dir}: {exc}", EXIT_USAGE)
    if built.unlearned:
        say(f"{args.dir / profile.WINK}: {built.unlearned}", err=True)
    if built.taught_alone:
        return fail(f"{args.dir}: {built.taught_alone} (photos of "
                    f"{', '.join(recognizer.classifier.classes)})")
    if not built.useful:
        return fail(f"{args.dir}: usable photos of {len(built.prototypes)} class(es); a profile "
                    f"needs at least {profile.MIN_CLASSES}, or a wink")
    settings = load_settings()[0].emoji
    for cls, n in built.photos.items():
        say(f"{cls}: {n} photo{'s' * (n != 1)}")
    for name, face in built.taught.items():
        say(f"{name}: {face.photos} photo{'s' * (face.photos != 1)}, taught: types "
            f"{profile.typed(name, settings, built)}")
    try:
        # The user's own damaged file is replaced, its bytes kept beside it; a file they named
        # is replaced only when it is a profile (checked above, and again while saving).
        kept = None if args.profile else profile.set_aside(target)
        wrote = profile.save(built, target, named=args.profile is not None)
    except OSError as exc:  # e.g. its folder is a file, or a folder is in the way
        return fail(f"{target}: cannot write the profile ({reason(exc)})")
    say(f"wrote {wrote}" + (f" (the unreadable file there is kept as {kept.name})" if kept else ""))
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from face2emoji_tray import doctor

    return doctor.main()


def cmd_ask(args: argparse.Namespace) -> int:
    from face2emoji_tray.files import NotOurs
    from face2emoji_tray.instance import ask

    try:
        answer = ask(ASK_COMMANDS[args.command])
    except NotOurs as exc:  # whatever listens there is not our app
        return fail(str(exc))
    except OSError:
        return fail("Face2Emoji is not running (start it with `face2emoji`)")
    say(answer)
    return EXIT_ERROR if answer.startswith("error") else 0


def cmd_web(args: argparse.Namespace) -> int:
    from face2emoji_tray import web
    from face2emoji_tray.web.runtime import PreviewError

    try:
        return web.serve(args.port, args.model, open_browser=not args.no_browser,
                         calibrate=args.calibrate)
    except PreviewError as exc:  # e.g. another program on the port: nothing opened
        return fail(str(exc))


class Parser(argparse.ArgumentParser):
    """argparse, its usage errors printable: they repeat an argument, and a shell's `*` can
    make a hostile file name one."""

    def error(self, message: str):
        super().error(printable(message))


def hotkey(text: str) -> str:
    """--hotkey, checked as the settings' hotkey is (config.valid_hotkey)."""
    if not valid_hotkey(text):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a hotkey like '<ctrl>+<alt>+e' (keys: <named>, a-z, 0-9, -=.,/)")
    return text


def port(text: str) -> int:
    """--port's value: a TCP port, 1-65535 (socket.bind raised OverflowError beyond)."""
    try:
        value = int(text)
    except ValueError:
        value = None
    if value not in PORTS:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port ({PORTS.start}-{PORTS.stop - 1})")
    return value


def parser() -> argparse.ArgumentParser:
    ap = Parser(prog="face2emoji", description="Make a face, get the emoji.",
                                 epilog="Exit codes: 0 ok, 1 error, 2 usage, 3 model, "
                                        "4 already running.")
    model = Parser(add_help=False)
    model.add_argument("--model", type=Path, default=EXPRESSION_MODEL,
                       help="expression model (.onnx, default: the shipped one)")
    who = Parser(add_help=False)
    mine = who.add_mutually_exclusive_group()
    mine.add_argument("--profile", type=Path, help="a profile made by `calibrate` "
                                                   "(default: yours, where you made one)")
    mine.add_argument("--no-profile", action="store_true", help="the global model alone")
    ap.add_argument("--source", help="camera index, video file or image folder "
                                     "(default: the config's camera)")
    ap.add_argument("--hotkey", type=hotkey,
                    help="e.g. '<ctrl>+<alt>+e' (default: the config's)")
    ap.add_argument("--config", type=Path, help="settings file (default: the platform's)")
    ap.add_argument("--model", type=Path, default=EXPRESSION_MODEL, help=argparse.SUPPRESS)
    ap.set_defaults(run=cmd_tray)
    sub = ap.add_subparsers(dest="command", metavar="COMMAND")
    p = sub.add_parser("predict", parents=[model, who], help="classify photos")
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("--face-crop", action="store_true", help="each image already is a face crop")
    p.set_defaults(run=cmd_predict)
    p = sub.add_parser("eval", parents=[model, who], help="score a labelled set DIR/<class>/*")
    p.add_argument("dir", type=Path, metavar="DIR")
    p.add_argument("--face-crop", action="store_true", help="each image already is a face crop")
    p.add_argument("--out", type=Path, default=Path("."), help="where confusion.{png,json} go")
    p.set_defaults(run=cmd_eval)
    p = sub.add_parser("calibrate", parents=[model],
                       help="teach it your faces from photos in DIR/<class>/ (one each is "
                            "enough; DIR/wink/ teaches your wink; any other DIR/<name>/, e.g. "
                            "DIR/🤢/, teaches a face of that name, typing the settings' [emoji] "
                            "entry for it or else the name)")
    p.add_argument("dir", type=Path, nargs="?", metavar="DIR")
    p.add_argument("--profile", type=Path, help="write this file (default: your own profile)")
    p.add_argument("--forget", action="store_true", help="delete the profile")
    p.add_argument("--face-crop", action="store_true", help="each image already is a face crop")
    p.set_defaults(run=cmd_calibrate)
    sub.add_parser("doctor", help="check that everything the app needs is here").set_defaults(
        run=cmd_doctor)
    for name, what in (("type-now", "type the current emoji (bind it to a desktop shortcut)"),
                       ("status", "the running app's state"), ("pause", "release the camera"),
                       ("resume", "watch again"), ("quit", "stop the running app")):
        sub.add_parser(name, help=what).set_defaults(run=cmd_ask)
    p = sub.add_parser("web", parents=[model], help="the local preview page")
    p.add_argument("--port", type=port, default=Config.web_port,
                   help="1-65535 (default: %(default)s)")
    p.add_argument("--no-browser", action="store_true")
    p.add_argument("--calibrate", action="store_true",
                   help="open \"Teach it my faces\" (/calibrate) instead of the preview")
    p.set_defaults(run=cmd_web)
    return ap


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except ModelError as exc:
        return fail(str(exc), EXIT_MODEL)
    except ProfileError as exc:
        return fail(str(exc))
    except KeyboardInterrupt:
        return 130
