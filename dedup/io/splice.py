"""Replace one field's value in a JSON object as written, leaving every other byte as it was.

``clean`` changes only a record's text. Parsing the record and writing it anew would change the
rest too: a float of 17 digits loses its last ones, "1E2" becomes "100.0", escapes are
decoded, spacing and key order follow the writer, and of two equal keys one is lost. So the
text's value is found in the record's bytes and replaced there.
"""

from __future__ import annotations

import json
import re

__all__ = ["replace_field"]

# A JSON token after optional whitespace: a string, a structural character, or a scalar.
_TOKEN = re.compile(rb'[ \t\r\n]*("[^"\\]*(?:\\.[^"\\]*)*"|[{}\[\],:]|[^ \t\r\n{}\[\],:"]+)', re.S)


def replace_field(raw: bytes, name: str, value: bytes) -> bytes | None:
    """``raw`` (one JSON object, maybe with a line ending) with the value of its top-level key
    ``name`` replaced by ``value`` (JSON), or None when ``raw`` is no object holding that key.
    Of two equal keys, the last is replaced: it is the one parsers keep."""
    span = _value_span(raw, name)
    if span is None:
        return None
    start, end = span
    return raw[:start] + value + raw[end:]


def _value_span(raw: bytes, name: str) -> tuple[int, int] | None:
    tokens = _Tokens(raw)
    if tokens.next() != b"{":
        return None
    found = None
    token = tokens.next()
    while token != b"}":
        key = token
        if key is None or not key.startswith(b'"') or tokens.next() != b":":
            return None
        span = tokens.value()
        if span is None:
            return None
        if _key(key) == name:
            found = span
        token = tokens.next()
        if token == b",":
            token = tokens.next()
        elif token != b"}":
            return None
    return found if raw[tokens.position :].strip() == b"" else None


class _Tokens:
    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        self.position = 0
        self.start = 0

    def next(self) -> bytes | None:
        match = _TOKEN.match(self.raw, self.position)
        if match is None:
            return None
        self.start, self.position = match.start(1), match.end(1)
        return match.group(1)

    def value(self) -> tuple[int, int] | None:
        """Read one value (a container whole): its span, or None when the JSON is broken."""
        token = self.next()
        if token is None or token in (b",", b":", b"}", b"]"):
            return None
        start = self.start
        depth = 1 if token in (b"{", b"[") else 0
        while depth:
            token = self.next()
            if token is None:
                return None
            if token in (b"{", b"["):
                depth += 1
            elif token in (b"}", b"]"):
                depth -= 1
        return start, self.position


def _key(token: bytes) -> str | None:
    try:
        decoded = json.loads(token)
    except ValueError:
        return None
    return decoded if isinstance(decoded, str) else None
