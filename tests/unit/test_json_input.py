"""gql/json_input.loads: RFC 8259 JSON only. Most bodies skip the surrogate walk (no ``\\u`` escape,
valid UTF-8); every way a lone surrogate can arrive must still be refused."""

from __future__ import annotations

import pytest

from gql.json_input import NotFinite, NotUnicode, loads


@pytest.mark.parametrize(
    "body",
    [
        b'{"v": "chess \\ud800"}',  # an escape, in bytes
        '{"v": "chess \\udfff"}',  # an escape, in str
        b'{"v": "chess \xed\xa0\x80"}',  # a surrogate's bytes: json.loads decodes them with surrogatepass
        '{"v": "chess \ud800"}',  # a str holding the surrogate itself
        b'{"\\ud800": 1}',  # in a key
        '{"v": ["ok", {"w": "\\\\\\ud800"}]}',  # an escaped backslash, then the escape
    ],
)
def test_a_lone_surrogate_is_refused_however_it_comes(body: str | bytes) -> None:
    with pytest.raises(NotUnicode):
        loads(body)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"v": "plain"}', {"v": "plain"}),
        ('{"v": "Zoë 🎲"}'.encode(), {"v": "Zoë 🎲"}),
        (b'{"v": "\\ud83c\\udfb2"}', {"v": "🎲"}),  # a surrogate pair is one character
        ('{"v": "\\\\u not an escape"}', {"v": "\\u not an escape"}),
        ('{"v": "Zoë"}'.encode("utf-16"), {"v": "Zoë"}),  # json.loads detects UTF-16 bodies
    ],
)
def test_text_is_read_as_json_reads_it(body: str | bytes, expected: object) -> None:
    assert loads(body) == expected


@pytest.mark.parametrize("body", [b'{"v": NaN}', b'{"v": -Infinity}', b'{"v": 1e309}'])
def test_numbers_must_be_finite(body: bytes) -> None:
    with pytest.raises(NotFinite):
        loads(body)
