"""Draw the integration's brand images: an SMS speech bubble, and the bubble with its name.

This file is the source of the images; ``script/brand`` runs it and writes the PNG files into
``custom_components/sms_gateways/brand/``, where Home Assistant (2026.3 and later) serves them at
``/api/brands/integration/sms_gateways/<image>``. Change the colours or the shapes here and run
``script/brand`` again; ``script/brand --check`` says whether the files are up to date.

Sizes follow the rules of the home-assistant/brands repository: the icon is square, 256 x 256
(``icon.png``) and 512 x 512 (``icon@2x.png``); the logo is landscape, its shortest side 128
(``logo.png``) and 256 (``logo@2x.png``) pixels; transparent background, trimmed, lossless.
The dark variants are the same images with the name written in a light colour.

Everything is drawn four times larger and scaled down, for smooth edges. The text uses the
font built into Pillow, so that the images come out the same on every machine.
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path
import sys

from PIL import Image, ImageDraw, ImageFont

BRAND_DIR = Path(__file__).parents[1] / "custom_components" / "sms_gateways" / "brand"

BUBBLE = (26, 143, 227, 255)
"""The bubble: a clear blue."""
BUBBLE_EDGE = (14, 104, 178, 255)
INK = (255, 255, 255, 255)
"""The letters in the bubble."""
NAME_LIGHT_THEME = (33, 37, 41, 255)
NAME_DARK_THEME = (236, 239, 241, 255)
NAME = "SMS Gateways"
SCALE = 4


def _font(size: int) -> ImageFont.FreeTypeFont:
    font = ImageFont.load_default(size=size)
    if not isinstance(font, ImageFont.FreeTypeFont):
        raise SystemExit("Pillow was built without FreeType: no scalable font to write with")
    return font


def _bubble(side: int) -> Image.Image:
    """The speech bubble with "SMS" in it, on a transparent square of ``side`` pixels."""
    big = side * SCALE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    edge = round(big * 0.03)
    # The body: a rounded rectangle in the upper part, the tail below it on the left.
    body = (edge, edge, big - edge, round(big * 0.80))
    radius = round(big * 0.20)
    tail = [
        (round(big * 0.20), body[3] - radius),
        (round(big * 0.12), big - edge),
        (round(big * 0.50), body[3] - edge),
    ]
    draw.polygon(tail, fill=BUBBLE_EDGE)
    draw.rounded_rectangle(body, radius=radius, fill=BUBBLE_EDGE)
    inset = [(x + edge * (1 if i != 1 else 0.6), y - edge * 0.8) for i, (x, y) in enumerate(tail)]
    draw.polygon(inset, fill=BUBBLE)
    draw.rounded_rectangle(
        (body[0] + edge, body[1] + edge, body[2] - edge, body[3] - edge),
        radius=radius - edge,
        fill=BUBBLE,
    )
    # "SMS", bold, centred in the body.
    font = _font(round(big * 0.34))
    stroke = round(big * 0.012)
    left, top, right, bottom = draw.textbbox((0, 0), "SMS", font=font, stroke_width=stroke)
    centre_x = (body[0] + body[2]) / 2
    centre_y = (body[1] + body[3]) / 2
    draw.text(
        (centre_x - (left + right) / 2, centre_y - (top + bottom) / 2),
        "SMS",
        font=font,
        fill=INK,
        stroke_width=stroke,
        stroke_fill=INK,
    )
    return image.resize((side, side), Image.Resampling.LANCZOS)


def icon(side: int) -> Image.Image:
    """The square icon."""
    return _bubble(side)


def logo(height: int, name_colour: tuple[int, int, int, int]) -> Image.Image:
    """The bubble, then the name, on one line ``height`` pixels high."""
    big = height * SCALE
    font = _font(round(big * 0.42))
    stroke = round(big * 0.008)
    measure = ImageDraw.Draw(Image.new("RGBA", (1, 1)))
    left, top, right, bottom = measure.textbbox((0, 0), NAME, font=font, stroke_width=stroke)
    gap = round(big * 0.22)
    width = big + gap + round(right - left) + round(big * 0.04)
    image = Image.new("RGBA", (width, big), (0, 0, 0, 0))
    image.alpha_composite(_bubble(big))
    draw = ImageDraw.Draw(image)
    draw.text(
        (big + gap - left, big * 0.42 - (top + bottom) / 2),
        NAME,
        font=font,
        fill=name_colour,
        stroke_width=stroke,
        stroke_fill=name_colour,
    )
    return image.resize((round(width / SCALE), height), Image.Resampling.LANCZOS)


def images() -> dict[str, Image.Image]:
    """Every brand image by its file name."""
    return {
        "icon.png": icon(256),
        "icon@2x.png": icon(512),
        "logo.png": logo(128, NAME_LIGHT_THEME),
        "logo@2x.png": logo(256, NAME_LIGHT_THEME),
        "dark_logo.png": logo(128, NAME_DARK_THEME),
        "dark_logo@2x.png": logo(256, NAME_DARK_THEME),
    }


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def main() -> int:
    """Write the images, or with ``--check`` say which ones differ from what is drawn here."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--check", action="store_true", help="compare, write nothing")
    args = parser.parse_args()
    stale: list[str] = []
    BRAND_DIR.mkdir(exist_ok=True)
    for name, image in images().items():
        path = BRAND_DIR / name
        if args.check:
            if not path.is_file() or Image.open(path).tobytes() != image.tobytes():
                stale.append(name)
            continue
        path.write_bytes(_png(image))
        print(f"{path}: {image.width}x{image.height}")  # noqa: T201
    if stale:
        print(f"Out of date (run script/brand): {', '.join(stale)}", file=sys.stderr)  # noqa: T201
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
