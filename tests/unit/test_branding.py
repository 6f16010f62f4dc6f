"""The branding settings: read and checked once (gql/config.py), and colours that stay readable
whatever accent a site picks (gql/branding.py, WCAG contrast at least 4.5:1)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from gql.branding import MIN_CONTRAST, PAGE_BACKGROUND, WHITE, Branding, contrast, readable_on, text_on
from gql.config import ConfigError, load_config

# Every 8-bit channel level in steps of 51 (216 colours), with the sites' favourite yellows and greys.
ACCENTS = ["#{:02x}{:02x}{:02x}".format(*rgb) for rgb in itertools.product(range(0, 256, 51), repeat=3)]
ACCENTS += ["#ffcc00", "#777777", "#767676", "#1d4ed8", "#00ff00", "#ff0000"]


def test_contrast_is_the_wcag_ratio() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21)
    assert contrast("#123456", "#123456") == pytest.approx(1)
    assert contrast("#767676", WHITE) == pytest.approx(4.54, abs=0.01)  # the known 4.5:1 grey


def test_text_on_the_accent_and_the_accent_as_text_are_readable() -> None:
    for accent in ACCENTS:
        assert contrast(text_on(accent), accent) >= MIN_CONTRAST, accent
        assert contrast(readable_on(WHITE, accent), WHITE) >= MIN_CONTRAST, accent
        brand = Branding("Club", "", "", accent, "en")
        for surface in (PAGE_BACKGROUND, WHITE):  # links sit on the page's grey and on its white card
            assert contrast(brand.accent_text, surface) >= MIN_CONTRAST, (accent, surface)


def test_a_readable_accent_is_kept_and_a_pale_one_darkened_keeping_its_hue() -> None:
    assert readable_on(WHITE, "#1d4ed8") == "#1d4ed8"
    yellow = readable_on(WHITE, "#ffcc00")
    assert yellow != "#ffcc00"
    red, green, blue = (int(yellow[i : i + 2], 16) for i in (1, 3, 5))
    assert blue == 0 and green / red == pytest.approx(0xCC / 0xFF, abs=0.02)
    assert text_on("#ffcc00") == "#000000" and text_on("#1d4ed8") == "#ffffff"


def env(tmp_path: Path, **variables: str) -> dict[str, str]:
    return {
        "MEMBERS_SECRET_KEY": "k" * 40,
        "MEMBERS_DATABASE_URL": f"sqlite://{tmp_path / 'x.sqlite3'}",
        **{f"MEMBERS_{name}": value for name, value in variables.items()},
    }


def test_branding_settings_are_read(tmp_path: Path) -> None:
    config = load_config(
        env(
            tmp_path,
            SITE_NAME="Club",
            SITE_URL="https://club.example/",
            LOGO_URL="https://cdn.club.example/logo.svg",
            ACCENT_COLOR="#AbC",
            LANGUAGE="FR",
            TEMPLATES_DIR=str(tmp_path),
        )
    )
    brand = Branding.of(config)
    assert brand == Branding("Club", "https://cdn.club.example/logo.svg", "https://club.example/", "#aabbcc", "fr")
    assert config.templates_dir == str(tmp_path)
    defaults = Branding.of(load_config(env(tmp_path)))
    assert (defaults.language, defaults.logo_url, defaults.site_url) == ("en", "", "")
    assert contrast(defaults.accent, WHITE) >= MIN_CONTRAST


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ACCENT_COLOR", "red"),
        ("ACCENT_COLOR", "#12345g"),
        ("ACCENT_COLOR", "#1234"),
        ("ACCENT_COLOR", "#123456;background:url(x)"),
        ("LOGO_URL", "javascript:alert(1)"),
        ("LOGO_URL", "/logo.png"),  # a mail is read elsewhere: only absolute URLs
        ("LOGO_URL", "data:image/png;base64,AAAA"),
        ("SITE_URL", "club.example"),
        ("LANGUAGE", "xx"),
        ("TEMPLATES_DIR", "/nonexistent/templates"),
    ],
)
def test_a_bad_branding_value_stops_the_start(tmp_path: Path, name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=f"MEMBERS_{name}"):
        load_config(env(tmp_path, **{name: value}))
