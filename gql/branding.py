"""The site's branding as the member pages and the mails use it: name, logo, accent colour, the
link back to the site, and the language (the settings are declared in gql/config.py).

The accent colour is the site's; the colours drawn from it are chosen here so that text stays
readable whatever the site picks (WCAG 2.x contrast, at least 4.5:1 for normal text):

- ``on_accent``: the text on an accent background (a button), black or white, whichever contrasts more
  (one of the two always reaches 4.5:1);
- ``accent_text``: the accent as text or a focus ring (links), darkened towards black, keeping its
  hue, as far as needed to reach 4.5:1 against the page's grey background (``PAGE_BACKGROUND``,
  around the white card): on the white card it contrasts more still.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gql.config import Config

HEX_COLOUR = re.compile(r"#[0-9a-f]{6}")
WHITE = "#ffffff"
BLACK = "#000000"
PAGE_BACKGROUND = "#f4f4f5"  # the darkest surface text sits on (pages' and mails' margins; cards are white)
MIN_CONTRAST = 4.5


def _channels(colour: str) -> tuple[int, int, int]:
    assert HEX_COLOUR.fullmatch(colour), colour
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def relative_luminance(colour: str) -> float:
    """WCAG 2.x relative luminance of an sRGB ``#rrggbb`` colour."""

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in _channels(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(first: str, second: str) -> float:
    """The WCAG contrast ratio of two colours, from 1 to 21."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def text_on(background: str) -> str:
    """Black or white, whichever is more readable on ``background``."""
    return WHITE if contrast(WHITE, background) >= contrast(BLACK, background) else BLACK


def readable_on(background: str, colour: str) -> str:
    """``colour``, darkened (mixed with black) just enough to reach ``MIN_CONTRAST`` on ``background``."""
    r, g, b = _channels(colour)
    for step in range(101):
        keep = 1 - step / 100
        candidate = "#{:02x}{:02x}{:02x}".format(round(r * keep), round(g * keep), round(b * keep))
        if contrast(candidate, background) >= MIN_CONTRAST:
            return candidate
    return BLACK  # a dark background: black never reaches it either; pages use a white one


@dataclass(frozen=True)
class Branding:
    site_name: str
    logo_url: str  # empty: no logo
    site_url: str  # empty: no link back
    accent: str  # #rrggbb
    language: str

    @classmethod
    def of(cls, config: Config) -> Branding:
        return cls(config.site_name, config.logo_url, config.site_url, config.accent_color, config.language)

    @property
    def on_accent(self) -> str:
        return text_on(self.accent)

    @property
    def page_background(self) -> str:
        return PAGE_BACKGROUND

    @property
    def accent_text(self) -> str:
        return readable_on(PAGE_BACKGROUND, self.accent)
