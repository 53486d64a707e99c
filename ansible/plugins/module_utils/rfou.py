# -*- coding: utf-8 -*-
# MIT License (see the galaxy.yml of this collection)
"""What the rfou modules share: the rfou command line they run, and a TOML parser where the
managed host's Python has one (tomllib from Python 3.11, else the tomli package)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

try:
    import tomllib as toml_parser
except ImportError:
    try:
        import tomli as toml_parser
    except ImportError:
        toml_parser = None


def rfou_command(module, *words):
    """[RFOU, -n NETNS, WORDS...]: the program the module's `rfou` option names, looked up on
    PATH and the sbin directories when it has no slash; `-n` only where `netns` is set."""
    program = module.params['rfou']
    if '/' not in program:
        program = module.get_bin_path(program, required=True)
    cmd = [program]
    if module.params.get('netns'):
        cmd += ['-n', module.params['netns']]
    cmd.extend(words)
    return cmd


def parse_toml(text):
    """The TOML text as a dict; raises ValueError when it is not TOML and RuntimeError when this
    Python has no TOML parser."""
    if toml_parser is None:
        raise RuntimeError('no TOML parser: Python 3.11 or later has one (tomllib); older Pythons need the tomli package')
    return toml_parser.loads(text)
