"""The languages the member pages and the mails speak: English, the language the templates are
written in, and one more for each gettext catalogue under ``gql/translations/<lang>/LC_MESSAGES/``
(``messages.po``, compiled to ``messages.mo``; ``make translations`` updates both).

The catalogues found are the list: adding a language is adding its catalogue.
"""

from __future__ import annotations

from pathlib import Path

TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"
DOMAIN = "messages"
SOURCE_LANGUAGE = "en"


def _catalogued() -> tuple[str, ...]:
    if not TRANSLATIONS_DIR.is_dir():
        return ()
    return tuple(
        sorted(path.name for path in TRANSLATIONS_DIR.iterdir() if (path / "LC_MESSAGES" / f"{DOMAIN}.mo").is_file())
    )


LANGUAGES: tuple[str, ...] = (SOURCE_LANGUAGE, *_catalogued())
