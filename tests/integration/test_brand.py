"""The brand images: Home Assistant serves them, and they follow the brands rules."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from http import HTTPStatus
import io
from pathlib import Path
import runpy

from aiohttp.test_utils import TestClient
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from PIL import Image
import pytest

from custom_components.sms_gateways.const import DOMAIN

ROOT = Path(__file__).parents[2]
BRAND = ROOT / "custom_components" / DOMAIN / "brand"
type ClientFactory = Callable[[], Awaitable[TestClient]]

ICONS = {"icon.png": 256, "icon@2x.png": 512}
LOGOS = {"logo.png": 128, "logo@2x.png": 256, "dark_logo.png": 128, "dark_logo@2x.png": 256}


@pytest.mark.parametrize(
    ("image", "served_from"),
    [
        ("icon.png", "icon.png"),
        ("icon@2x.png", "icon@2x.png"),
        ("logo.png", "logo.png"),
        ("logo@2x.png", "logo@2x.png"),
        ("dark_logo.png", "dark_logo.png"),
        # No dark icon of its own: the same icon, as the brands CDN does.
        ("dark_icon.png", "icon.png"),
    ],
)
async def test_home_assistant_serves_the_brand(
    hass: HomeAssistant, hass_client: ClientFactory, image: str, served_from: str
) -> None:
    """/api/brands/integration/sms_gateways/<image> answers with the file of brand/."""
    assert await async_setup_component(hass, "brands", {})
    client = await hass_client()
    response = await client.get(f"/api/brands/integration/{DOMAIN}/{image}")
    assert response.status == HTTPStatus.OK
    assert response.content_type == "image/png"
    assert await response.read() == (BRAND / served_from).read_bytes()


@pytest.mark.parametrize(("name", "side"), ICONS.items())
def test_icon_follows_the_rules(name: str, side: int) -> None:
    """Square, at the size asked, transparent around the bubble, trimmed."""
    image = Image.open(BRAND / name)
    assert image.format == "PNG"
    assert image.mode == "RGBA"
    assert image.size == (side, side)
    _assert_transparent_and_trimmed(image)


@pytest.mark.parametrize(("name", "height"), LOGOS.items())
def test_logo_follows_the_rules(name: str, height: int) -> None:
    """Landscape, its shortest side at the size asked, transparent, trimmed."""
    image = Image.open(BRAND / name)
    assert image.format == "PNG"
    assert image.mode == "RGBA"
    assert image.height == height
    assert image.width > image.height
    _assert_transparent_and_trimmed(image)


def _assert_transparent_and_trimmed(image: Image.Image) -> None:
    alpha = image.getchannel("A")
    width, height = image.size
    corners = [(0, 0), (width - 1, 0), (0, height - 1), (width - 1, height - 1)]
    assert all(alpha.getpixel(corner) == 0 for corner in corners)
    left, top, right, bottom = alpha.getbbox() or (0, 0, 0, 0)
    margin = max(4, round(min(width, height) * 0.05))
    assert left <= margin
    assert top <= margin
    assert width - right <= margin
    assert height - bottom <= margin


def test_images_are_what_the_source_draws() -> None:
    """The PNG files are up to date with script/brand.py (run script/brand after a change)."""
    drawn = runpy.run_path(str(ROOT / "script" / "brand.py"))["images"]()
    assert set(drawn) == {path.name for path in BRAND.glob("*.png")}
    for name, image in drawn.items():
        stored = Image.open(io.BytesIO((BRAND / name).read_bytes()))
        assert stored.size == image.size, name
        assert stored.tobytes() == image.tobytes(), name
