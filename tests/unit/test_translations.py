"""The gettext catalogues say everything the templates say, in every language, and the compiled
``.mo`` files the server reads say what their ``.po`` sources say (both are committed).

When a template's text changes: ``make translations``, translate what is new or fuzzy in each
``gql/translations/<lang>/LC_MESSAGES/messages.po``, and ``make translations`` again (it compiles).
"""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from gql.languages import DOMAIN, LANGUAGES, SOURCE_LANGUAGE, TRANSLATIONS_DIR
from gql.templating import BUILT_IN

ROOT = Path(__file__).resolve().parents[2]
TRANSLATED = [language for language in LANGUAGES if language != SOURCE_LANGUAGE]
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def extracted() -> set[str | tuple[str, str]]:
    """Every text the templates mark for translation, as pybabel extracts it (babel.cfg)."""
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    found: set[str | tuple[str, str]] = set()
    for _, _, message, _, _ in extract_from_dir(str(BUILT_IN), method_map, options_map):
        found.add(message if isinstance(message, str) else tuple(message))
    return found


def catalogue(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as source:
        return read_po(source, locale=locale)


def ids(catalog: Catalog) -> set[str | tuple[str, str]]:
    return {message.id if isinstance(message.id, str) else tuple(message.id) for message in catalog if message.id}


def test_there_is_a_second_language() -> None:
    assert SOURCE_LANGUAGE == "en" and TRANSLATED, LANGUAGES


def test_the_template_file_lists_what_the_templates_say() -> None:
    texts = extracted()
    assert len(texts) > 40, "the templates lost their {% trans %} markers"
    assert ids(catalogue(TRANSLATIONS_DIR / f"{DOMAIN}.pot")) == texts, "run `make translations`"


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_text_is_translated(language: str) -> None:
    catalog = catalogue(TRANSLATIONS_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po", language)
    assert ids(catalog) == extracted(), f"{language}: run `make translations` and translate what is new"
    for message in catalog:
        if not message.id:
            continue
        assert not message.fuzzy, f"{language}: {message.id!r} is marked fuzzy (check it, remove the flag)"
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        sources = message.id if isinstance(message.id, tuple) else (message.id,)
        assert len(strings) == catalog.num_plurals if message.pluralizable else len(strings) == 1
        for string in strings:
            assert string and string.strip(), f"{language}: {message.id!r} is not translated"
            # The same placeholders (a missing one is text lost; an unknown one fails to render).
            assert set(PLACEHOLDER.findall(string)) == set(PLACEHOLDER.findall(sources[-1])), (language, string)


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_compiled_catalogue_is_the_source(language: str) -> None:
    """The .mo the server reads holds exactly the .po's translations (`make translations` compiles)."""
    folder = TRANSLATIONS_DIR / language / "LC_MESSAGES"
    catalog = catalogue(folder / f"{DOMAIN}.po", language)
    with (folder / f"{DOMAIN}.mo").open("rb") as compiled:
        translations = gettext.GNUTranslations(compiled)
    expected: dict[object, str] = {}
    for message in catalog:
        if not message.id:
            continue
        if message.pluralizable:
            for index, string in enumerate(message.string):
                expected[(message.id[0], index)] = string
        else:
            expected[message.id] = message.string
    held = {key: value for key, value in translations._catalog.items() if key != ""}  # type: ignore[attr-defined]
    assert held == expected, f"{folder / (DOMAIN + '.mo')} is not the compiled .po: run `make translations`"
