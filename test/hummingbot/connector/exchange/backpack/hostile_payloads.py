"""Hypothesis strategies for the hostile-input tests (not a test module): arbitrary JSON-ish values and mutations
of real payloads (official SDK vectors from ``../shared/fixtures`` and the realistic frames of
``docs/backpack-api.md``).

A mutation picks a place inside the payload and drops it, replaces it with a hostile value (wrong type, ``None``,
huge/negative/NaN/Infinity numbers or their strings, non-numeric text, nested junk) or adds a junk key; a few
mutations are applied per example. ``wire_text`` renders a value as the text a server could send: JSON, truncated
JSON, or binary garbage.
"""
import copy
import json
from typing import Any, Iterator, List, Tuple

from hypothesis import strategies as st

#: Scalars a broken or hostile server could put anywhere.
HOSTILE_SCALARS = [
    None, True, False, 0, -1, 1, 2 ** 64, -(2 ** 63), 10 ** 400, 1.5, -0.0, 1e308,
    float("nan"), float("inf"), float("-inf"),
    "", " ", "abc", "NaN", "nan", "-nan", "Infinity", "-Infinity", "inf", "1e999999999", "-1e999999999",
    "1e-999999999", "9" * 400, "0x10", "1_000", "١٢", "１", "0E-1000", "-5", "0", "-0", "1e5", "1" * 5000,
    "\x00", "\ud800", "2025-13-45T99:00:00", "0001-01-01T00:00:00+23:59", "None", "null", "true",
    "New", "Filled", "orderFill", "SOL_USDC",
]

hostile_scalars = st.sampled_from(HOSTILE_SCALARS)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12) | hostile_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=12)
"""Arbitrary JSON-ish values (NaN/Infinity included: Python's ``json`` accepts and produces them)."""

junk = st.one_of(hostile_scalars, json_values, st.lists(hostile_scalars, max_size=3),
                 st.dictionaries(st.sampled_from(["a", "b", "p", "q", "x"]), hostile_scalars, max_size=3))


def _places(value: Any, depth: int = 0) -> Iterator[Tuple[Any, Any]]:
    """Every (container, key/index) inside ``value``."""
    if depth > 6:
        return
    if isinstance(value, dict):
        for key in list(value):
            yield value, key
            yield from _places(value[key], depth + 1)
    elif isinstance(value, list):
        for index in range(len(value)):
            yield value, index
            yield from _places(value[index], depth + 1)


@st.composite
def mutated(draw, base: Any, max_mutations: int = 3) -> Any:
    """``base`` (deep-copied) with 1..``max_mutations`` hostile edits; sometimes replaced whole by junk."""
    if draw(st.integers(0, 19)) == 0:
        return draw(junk)
    value = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, max_mutations))):
        places: List[Tuple[Any, Any]] = list(_places(value))
        if not places:
            break
        container, key = places[draw(st.integers(0, len(places) - 1))]
        operation = draw(st.sampled_from(["drop", "replace", "replace", "replace", "add_key", "wrap"]))
        if operation == "drop":
            del container[key]
        elif operation == "replace":
            container[key] = draw(junk)
        elif operation == "wrap":
            container[key] = [container[key]]
        elif isinstance(container, dict):
            container[draw(st.text(max_size=3))] = draw(junk)
        else:
            container.append(draw(junk))
    return value


@st.composite
def wire_text(draw, value_strategy) -> str:
    """The body/frame text of a drawn value: JSON (mostly), truncated JSON, or undecodable garbage."""
    value = draw(value_strategy)
    text = json.dumps(value)
    kind = draw(st.integers(0, 9))
    if kind == 0 and len(text) > 1:
        return text[:draw(st.integers(1, len(text) - 1))]
    if kind == 1:
        return draw(st.binary(max_size=40)).decode("latin-1")
    return text


def is_json_number_like(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
