"""The templates of the member pages and the mails (Jinja2), in the site's language (gettext).

- Templates: ``gql/templates/`` (``pages/…`` and ``mail/…``), searched after the site's own
  directory (``MEMBERS_TEMPLATES_DIR``) when there is one: a file there with the path of a built-in
  template replaces it (a ``ChoiceLoader``), and may extend or include the built-in ones, which are
  also reachable as ``builtin/<path>`` (``{% extends "builtin/mail/confirm_email.txt" %}``).
- Escaping: on for every template but the plain-text ones (``*.txt``: mail text, subjects); a
  value that reaches HTML is escaped however it was typed.
- Languages: Jinja2's i18n extension (``{% trans %}``) with Babel's gettext catalogues
  (``gql/translations/<lang>/LC_MESSAGES/messages.mo``, gql/languages.py). One environment per
  language, each with its catalogue installed; English is the templates' own text.

A template is given ``brand`` (gql/branding.py) besides its own values.
"""

from __future__ import annotations

import gettext
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.support import Translations
from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PrefixLoader,
    StrictUndefined,
    TemplateError,
    select_autoescape,
)

from gql.config import ConfigError
from gql.languages import DOMAIN, LANGUAGES, SOURCE_LANGUAGE, TRANSLATIONS_DIR

BUILT_IN = Path(__file__).resolve().parent / "templates"


def translations(language: str) -> gettext.NullTranslations:
    """The catalogue of ``language`` (English: none, the templates' own text)."""
    if language == SOURCE_LANGUAGE:
        return gettext.NullTranslations()
    if language not in LANGUAGES:
        raise ValueError(f"no catalogue for language {language!r} (there are: {', '.join(LANGUAGES)})")
    return Translations.load(str(TRANSLATIONS_DIR), [language], DOMAIN)


class Templates:
    """The template environments of one templates directory, one per language."""

    def __init__(self, directory: str = "") -> None:
        self.directory = directory
        built_in = FileSystemLoader(str(BUILT_IN))
        site = [FileSystemLoader(directory)] if directory else []
        # "builtin/<path>" always names the built-in template, so a site's template of the same
        # path can extend it and change a block or two.
        self.loader = ChoiceLoader([*site, built_in, PrefixLoader({"builtin": built_in})])
        self._environments: dict[str, Environment] = {}

    def environment(self, language: str) -> Environment:
        environment = self._environments.get(language)
        if environment is None:
            environment = Environment(
                loader=self.loader,
                autoescape=select_autoescape(disabled_extensions=("txt",), default_for_string=True, default=True),
                extensions=["jinja2.ext.i18n"],
                undefined=StrictUndefined,  # a misspelt name in a site's template fails loudly, not blank
                trim_blocks=True,
                lstrip_blocks=True,
                keep_trailing_newline=True,
            )
            environment.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
            self._environments[language] = environment
        return environment

    def check(self) -> None:
        """Compile every template, a site's included: a mistake in one stops the start (a configuration
        error naming it) rather than a member's click on a link."""
        environment = self.environment(SOURCE_LANGUAGE)
        for name in environment.list_templates(extensions=["html", "txt", "css"]):
            try:
                environment.get_template(name)
            except TemplateError as exc:
                raise ConfigError(f"template {name} in {self.directory or BUILT_IN}: {exc}") from exc

    def render(self, template_name: str, language: str, /, **context: Any) -> str:
        return self.environment(language).get_template(template_name).render(**context)

    def blocks(self, template_name: str, language: str, /, **context: Any) -> dict[str, str]:
        """Each block of a template rendered on its own, stripped (a mail's subject, intro, …), the
        blocks it inherits (``{% extends %}``) included."""
        template = self.environment(language).get_template(template_name)
        rendered = template.new_context(context)
        for _ in template.root_render_func(rendered):  # runs {% extends %}: the chain's blocks join the context
            pass
        return {block: "".join(chain[0](rendered)).strip() for block, chain in rendered.blocks.items()}


@lru_cache(maxsize=8)
def templates_for(directory: str) -> Templates:
    """The templates of a configuration (``MEMBERS_TEMPLATES_DIR``), built once per process."""
    return Templates(directory)
