"""Request JSON as RFC 8259 defines it, refusing what Python's json.loads accepts beyond that.

json.loads reads ``NaN``, ``Infinity`` and ``-Infinity``, turns numbers too large for a
double (``1e309``) into ``inf``, and decodes a lone UTF-16 surrogate (the escape ``"\\ud800"``,
or its bytes ED A0 80) into a str that is no Unicode text. None of them is JSON: stored in a
custom field, a non-finite number makes every later response that shows it invalid JSON,
and a lone surrogate raises wherever the string is encoded (a database driver, a log line).
"""

from __future__ import annotations

import json
import math
from typing import Any, NoReturn

NOT_FINITE = (
    "JSON numbers must be finite: NaN, Infinity and numbers too large for a double (such as 1e309) are refused."
)
NOT_UNICODE = "The request holds a lone UTF-16 surrogate (such as \\ud800), which is not valid Unicode."


class NotFinite(ValueError):
    """NaN, ±Infinity, or a number that overflows a double."""


class NotUnicode(ValueError):
    """A string (or an object key) holds a lone surrogate."""


def _refuse_constant(name: str) -> NoReturn:
    raise NotFinite(name)


def _finite_float(text: str) -> float:
    number = float(text)
    if math.isinf(number):  # the text was a number, but beyond ±1.8e308
        raise NotFinite(text)
    return number


def loads(data: str | bytes) -> Any:
    """json.loads, refusing non-finite numbers (``NotFinite``) and lone surrogates (``NotUnicode``).

    Other errors are json.loads's own: ``ValueError``, ``UnicodeDecodeError``, ``RecursionError``.
    """
    value = json.loads(data, parse_constant=_refuse_constant, parse_float=_finite_float)
    if not _surrogate_free(data):
        require_unicode(value)
    return value


def _surrogate_free(data: str | bytes) -> bool:
    """True when no lone surrogate can come out of ``data``: it holds no ``\\u`` escape, and its
    text is UTF-8 (bytes) or encodes to it (str), which no surrogate does. Most bodies are; the
    others get ``require_unicode``'s walk over the decoded value."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data  # strict: no surrogate's bytes
        text.encode("utf-8")  # a str may hold a surrogate itself
    except UnicodeError:
        return False
    return "\\u" not in text


def require_unicode(value: Any) -> None:
    """Every string in ``value``, keys included, must encode to UTF-8.

    A lone surrogate comes from a ``\\uD800``-style escape, or from the bytes ED A0 80 (json.loads
    decodes a bytes body with "surrogatepass"); encoding the whole value once finds it wherever it is.
    """
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise NotUnicode(NOT_UNICODE) from None
