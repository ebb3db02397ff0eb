"""The run input as a form: one field per key of the graph's input schema.

:func:`input_fields` reads ``graph.get_input_jsonschema()`` (the input channels as JSON
Schema) into :class:`InputField` records with the editor each needs: ``messages`` (a
text box whose text becomes one user message), ``text``, ``integer``, ``number``,
``boolean``, ``choice`` (an enum) or ``json`` for anything else. A graph whose schema
names no keys (a functional-API entrypoint) gets the message box alone, as before.
When LangGraph cannot build the schema at all (pydantic refuses a ``typing.TypedDict``
state on Python < 3.12), :func:`input_fields_of` still gives one field per input key the
graph takes: ``messages`` for a key folded by ``add_messages``, ``json`` for the rest.

:func:`form_input` builds the graph input from what the fields hold; :func:`form_entries`
goes back from a JSON input to field values, or says why the form cannot show it. No Qt;
LangGraph is imported only for a graph whose schema cannot be built.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from desktop.core.errors import RewindError, error_line

KINDS: Final = ("messages", "text", "integer", "number", "boolean", "choice", "json")


@dataclass(frozen=True, slots=True)
class InputField:
    """One key of the input: its name, the editor kind, and what the schema says of it."""

    name: str
    kind: str
    title: str = ""
    description: str = ""
    choices: tuple[Any, ...] = ()


MESSAGES_ONLY: Final = (InputField("messages", "messages", "Messages"),)
"""The fields when the schema names none: the message box (plain text, a user message)."""


def input_fields_of(graph: Any) -> tuple[InputField, ...]:
    """The fields of ``graph``'s input schema (a compiled LangGraph graph); when the schema
    cannot be built, a field per input key the graph takes (:func:`_fields_of_keys`)."""
    try:
        schema = graph.get_input_jsonschema()
    except Exception as exc:
        return _fields_of_keys(graph, error_line(exc))
    return input_fields(schema)


def _fields_of_keys(graph: Any, why: str) -> tuple[InputField, ...]:
    """A field per input key of ``graph`` with no type known but the message reducer's
    (the message box alone for a graph that names no keys)."""
    from desktop.core.inputs import input_keys, takes_messages

    keys = input_keys(graph)
    if not keys:
        return MESSAGES_ONLY
    note = f"Any JSON value; its type is unknown, as LangGraph could not build the schema ({why})"
    fields = [
        InputField(key, "messages", key)
        if takes_messages(graph, key)
        else InputField(key, "json", key, note)
        for key in keys
    ]
    fields.sort(key=lambda f: f.kind != "messages")
    return tuple(fields)


def input_fields(schema: Mapping[str, Any]) -> tuple[InputField, ...]:
    """The fields of an input JSON Schema, in the schema's order (messages first)."""
    properties = schema.get("properties") if isinstance(schema, Mapping) else None
    if not isinstance(properties, Mapping) or not properties:
        return MESSAGES_ONLY
    defs = schema.get("$defs") or {}
    fields = [_field(str(name), prop, defs) for name, prop in properties.items()]
    fields.sort(key=lambda f: f.kind != "messages")
    return tuple(fields)


def _resolve(prop: Any, defs: Mapping[str, Any]) -> Mapping[str, Any]:
    """The property with a ``$ref`` followed and an optional (``anyOf [T, null]``) unwrapped."""
    for _ in range(10):
        if not isinstance(prop, Mapping):
            return {}
        ref = prop.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            prop = {
                **defs.get(ref.rsplit("/", 1)[1], {}),
                **{k: v for k, v in prop.items() if k != "$ref"},
            }
            continue
        options = prop.get("anyOf")
        if isinstance(options, list):
            real = [o for o in options if not (isinstance(o, Mapping) and o.get("type") == "null")]
            if len(real) == 1:
                prop = {**real[0], **{k: v for k, v in prop.items() if k != "anyOf"}}
                continue
        return prop
    return prop


def _is_messages(prop: Mapping[str, Any]) -> bool:
    items = prop.get("items")
    if prop.get("type") != "array" or not isinstance(items, Mapping):
        return False
    refs = [
        o.get("$ref", "")
        for o in items.get("oneOf") or items.get("anyOf") or ()
        if isinstance(o, Mapping)
    ]
    return bool(refs) and all(str(ref).endswith("Message") or "Message" in str(ref) for ref in refs)


def _field(name: str, raw: Any, defs: Mapping[str, Any]) -> InputField:
    prop = _resolve(raw, defs)
    title = str(prop.get("title") or name)
    description = str(prop.get("description") or "")
    if _is_messages(prop):
        return InputField(name, "messages", title, description)
    enum = prop.get("enum")
    if isinstance(enum, list) and enum:
        return InputField(name, "choice", title, description, tuple(enum))
    kind = {"string": "text", "integer": "integer", "number": "number", "boolean": "boolean"}
    return InputField(name, kind.get(str(prop.get("type")), "json"), title, description)


def user_message(text: str) -> list[dict[str, str]]:
    """The ``messages`` value for text typed in the message box: one user message."""
    return [{"role": "user", "content": text}]


def form_input(fields: Sequence[InputField], entries: Mapping[str, Any]) -> dict[str, Any] | None:
    """The graph input for the fields' values; None when every field is empty (continue).

    ``entries`` holds, per field name, the text of a ``messages`` box or the typed value
    of any other field (None or "" for a field left empty, which is not sent).
    """
    value: dict[str, Any] = {}
    for field in fields:
        entry = entries.get(field.name)
        if entry is None or entry == "":
            continue
        if field.kind == "messages":
            if str(entry).strip():
                value[field.name] = user_message(str(entry))
        else:
            value[field.name] = entry
    return value or None


def form_entries(fields: Sequence[InputField], value: Any) -> dict[str, Any]:
    """Field values showing the JSON input ``value``; :class:`RewindError` names what the
    form cannot show (a key it has no field for, messages other than one user text)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise RewindError(f"The form shows an object of input keys, not {type(value).__name__}")
    by_name = {field.name: field for field in fields}
    unknown = [str(k) for k in value if k not in by_name]
    if unknown:
        raise RewindError(f"The form has no field for {', '.join(unknown)}; edit it as JSON")
    entries: dict[str, Any] = {}
    for key, item in value.items():
        field = by_name[key]
        if field.kind == "messages":
            entries[key] = _message_text(key, item)
        elif not _fits(field, item):
            shown = json.dumps(item, ensure_ascii=False)[:40]
            raise RewindError(
                f"{key} = {shown} does not fit its {field.kind} field; edit it as JSON"
            )
        else:
            entries[key] = item
    return entries


def _message_text(key: str, item: Any) -> str:
    if isinstance(item, str):
        return item
    if isinstance(item, list) and len(item) == 1 and isinstance(item[0], Mapping):
        message = item[0]
        role = message.get("role", message.get("type"))
        plain = set(message) <= {"role", "type", "content"}
        if role in ("user", "human") and isinstance(message.get("content"), str) and plain:
            return str(message["content"])
    raise RewindError(f"{key} holds more than one user message; edit it as JSON")


def _fits(field: InputField, item: Any) -> bool:
    if field.kind == "text":
        return isinstance(item, str)
    if field.kind == "integer":
        return isinstance(item, int) and not isinstance(item, bool)
    if field.kind == "number":
        return isinstance(item, int | float) and not isinstance(item, bool)
    if field.kind == "boolean":
        return isinstance(item, bool)
    if field.kind == "choice":
        return item in field.choices
    return True
