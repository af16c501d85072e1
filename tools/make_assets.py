"""Render the tray's emoji images from Noto Color Emoji (Debian: fonts-noto-color-emoji).

    python tools/make_assets.py        # → assets/emoji/<name>.png, 128x128 RGBA

Run once by a developer; the PNGs are committed, so the app needs no emoji font.
"""
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from face2emoji_tray.emoji import DEFAULT_EMOJI

FONT = "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf"
STATES = {"no_face": "\U0001F636", "unsure": "\U0001F914", "paused": "\u23F8\uFE0F",
          "problem": "\u26A0\uFE0F"}
OUT = Path(__file__).resolve().parent.parent / "assets" / "emoji"


def render(text: str, size: int = 128) -> Image.Image:
    font = ImageFont.truetype(FONT, 109)  # the only size of Noto's colour bitmaps
    canvas = Image.new("RGBA", (160, 160), (0, 0, 0, 0))
    ImageDraw.Draw(canvas).text((80, 80), text, font=font, embedded_color=True, anchor="mm")
    return canvas.crop(canvas.getbbox()).resize((size, size), Image.LANCZOS)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, text in {**DEFAULT_EMOJI, **STATES}.items():
        render(text).save(OUT / f"{name}.png")
        print(OUT / f"{name}.png")


if __name__ == "__main__":
    main()
