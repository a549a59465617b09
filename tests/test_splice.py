"""A field's value replaced in a JSON object as written: every other byte stays."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.io.splice import replace_field

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=8)
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(st.text(max_size=6), values, max_size=5),
    st.text(),
    st.sampled_from([(",", ":"), (", ", ": "), (" ,", " : ")]),
    st.booleans(),
    st.sampled_from([b"", b"\n", b"\r\n"]),
)
def test_the_field_is_replaced_and_the_rest_kept(
    fields: dict[str, object],
    text: str,
    separators: tuple[str, str],
    ascii_only: bool,
    ending: bytes,
) -> None:
    fields.pop("text", None)
    record = {**fields, "text": "old"}  # the last key: its value is the last '"old"' written
    raw = json.dumps(record, separators=separators, ensure_ascii=ascii_only).encode() + ending
    spliced = replace_field(raw, "text", json.dumps(text).encode())
    assert spliced is not None
    assert json.loads(spliced) == {**record, "text": text}
    start = raw.rindex(b'"old"')
    assert spliced == raw[:start] + json.dumps(text).encode() + raw[start + len(b'"old"') :]


def test_the_last_of_two_equal_keys_is_replaced_as_parsers_keep_it() -> None:
    raw = b'{"text": "first", "n": [1, {"text": "inner"}], "t\\u0065xt": "last"}'
    assert replace_field(raw, "text", b'"new"') == (
        b'{"text": "first", "n": [1, {"text": "inner"}], "t\\u0065xt": "new"}'
    )


def test_what_is_no_object_holding_the_field_is_left_to_the_caller() -> None:
    for raw in (b"[1]", b'{"a": 1}', b'{"text": "x"} trailing', b'{"text":', b'{"text" "x"}', b""):
        assert replace_field(raw, "text", b'"new"') is None, raw
