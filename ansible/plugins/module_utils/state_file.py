# -*- coding: utf-8 -*-
# MIT License (see the galaxy.yml of this collection)
"""rfou's desired-state file on the Ansible side: the TOML text written from a play's `state`
mapping, and how many entries a state holds (so that an empty one with prune can be refused).

rfou checks everything else (keys, values, ranges); this file only writes what the play gave,
as UTF-8 text: a non-ASCII character is written as itself, never as a JSON escape (TOML has no
surrogate pairs, so JSON's \\ud83d\\ude00 for one emoji is an error there)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.rfou.fou.plugins.module_utils.rfou import parse_toml

# TOML's short escapes; every other control character is written as \\uXXXX.
_SHORT_ESCAPES = {'"': '\\"', '\\': '\\\\', '\b': '\\b', '\t': '\\t', '\n': '\\n', '\f': '\\f', '\r': '\\r'}
_BARE_KEY = re.compile(r'^[A-Za-z0-9_-]+$')


def toml_string(text, where):
    """`text` as a TOML basic string. Raises ValueError, naming `where`, for a surrogate code
    point: it is no character, and UTF-8 has no bytes for it."""
    out = ['"']
    for char in text:
        code = ord(char)
        if char in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[char])
        elif code < 0x20 or code == 0x7F:
            out.append('\\u%04X' % code)
        elif 0xD800 <= code <= 0xDFFF:
            raise ValueError('%s: U+%04X is a lone surrogate, not a character' % (where, code))
        else:
            out.append(char)
    out.append('"')
    return ''.join(out)


def toml_key(key, where):
    """A bare key where TOML allows one (`encap-dport`), a quoted one otherwise."""
    if not isinstance(key, str):
        raise ValueError('%s: the key %r is not a string' % (where, key))
    return key if _BARE_KEY.match(key) else toml_string(key, where)


def toml_value(value, where):
    """A TOML value for a boolean, an integer or a string: the values a state file holds."""
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return toml_string(value, where)
    if value is None:
        raise ValueError('%s has no value' % where)
    raise ValueError('%s is a %s; the values of a state are integers, strings and booleans' % (where, type(value).__name__))


def to_toml(state):
    """The `state` mapping ({"port": [{...}], "tunnel": [{...}]}) as TOML arrays of tables, in
    the order given. Raises ValueError, naming the entry, for what TOML tables cannot hold."""
    lines = []
    for table, entries in state.items():
        where = 'state.%s' % table
        if not isinstance(entries, list):
            raise ValueError('%s must be a list of entries (mappings), not a %s' % (where, type(entries).__name__))
        header = '[[%s]]' % toml_key(table, where)
        for index, entry in enumerate(entries):
            entry_where = '%s[%d]' % (where, index)
            if not isinstance(entry, dict):
                raise ValueError('%s must be a mapping, not a %s' % (entry_where, type(entry).__name__))
            lines.append(header)
            for key, value in entry.items():
                key_where = '%s.%s' % (entry_where, key)
                lines.append('%s = %s' % (toml_key(key, key_where), toml_value(value, key_where)))
            lines.append('')
    return '\n'.join(lines)


def state_entries(state):
    """How many entries (ports, tunnels, anything else rfou is to judge) a parsed state holds."""
    return sum(len(value) if isinstance(value, list) else 1 for value in state.values())


# An entry in TOML text, as a person or a template writes one: a `[[port]]` or `[[tunnel]]`
# header (any table name, quoted or not), or a key whose value opens an inline array of tables.
_ENTRY_EVIDENCE = re.compile(r'^\s*(\[\[|[A-Za-z0-9_"\'-]+\s*=\s*\[\s*\{)', re.MULTILINE)


def text_entries(text):
    """How many entries the TOML `text` holds: parsed, where this Python has a TOML parser and
    the text is TOML; otherwise the lines that open an entry (a `[[...]]` header, or a key
    whose value opens an inline array of tables), counted. A text with none is empty."""
    try:
        return state_entries(parse_toml(text))
    except (ValueError, RuntimeError):
        return len(_ENTRY_EVIDENCE.findall(text))
