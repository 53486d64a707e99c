#!/usr/bin/python
# -*- coding: utf-8 -*-
# MIT License (see the galaxy.yml of this collection)
"""The module rfou.fou.rfou_facts: the live FOU/GUE state of a network namespace, as facts.

rfou reads the namespace and prints it as a desired-state file (`rfou export`); this module
parses that TOML and sets it as the fact `rfou`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: rfou_facts
short_description: Read the FOU and GUE ports and tunnels of a network namespace as facts
version_added: 0.1.0
description:
  - Runs C(rfou export) on the managed host, which prints the receive ports and tunnels of a
    network namespace as a desired-state file, and sets it as the fact C(rfou), parsed (the
    lists of ports and tunnels, with the keys of rfou-apply(8)) and as text.
  - Applying RV(ansible_facts.rfou.content) with M(rfou.fou.rfou_apply) to the same namespace
    changes nothing; it is a copy of the namespace's state to keep or to compare.
  - Read only; the namespace is not changed.
author:
  - rfou maintainers (!UNKNOWN)
requirements:
  - rfou on the managed host (on PATH or in an sbin directory, or named by O(rfou))
  - Python 3.11 or later on the managed host (its tomllib parses the TOML), or an older
    Python 3 with the tomli package
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.facts
attributes:
  check_mode:
    support: full
    details: Reads only, so it runs in check mode as it does otherwise.
  diff_mode:
    support: none
  facts:
    support: full
  platform:
    platforms: posix
    details: Linux.
options:
  netns:
    description:
      - The network namespace to read (C(rfou -n), a name under C(/run/netns)). Without it,
        the namespace the module runs in, usually the host's own.
    type: str
  rfou:
    description:
      - The rfou program, a path or a name looked up on PATH and the sbin directories.
    type: path
    default: rfou
notes:
  - The fact holds one namespace, the one last read; register the result to keep several.
seealso:
  - module: rfou.fou.rfou_apply
"""

EXAMPLES = r"""
- name: Read the ports and tunnels of namespace blue
  rfou.fou.rfou_facts:
    netns: blue

- name: The remote port that tunnel fou1 sends to
  ansible.builtin.debug:
    msg: "{{ (ansible_facts.rfou.tunnel | selectattr('name', 'equalto', 'fou1') | first)['encap-dport'] }}"

- name: Keep a copy of the state, to apply again later with rfou_apply's content or src
  ansible.builtin.copy:
    content: "{{ ansible_facts.rfou.content }}"
    dest: /var/backups/rfou-blue.toml
    mode: "0600"
"""

RETURN = r"""
ansible_facts:
  description: Facts set on the host.
  returned: always
  type: complex
  contains:
    rfou:
      description: The network namespace's receive ports and tunnels, as C(rfou export) prints them.
      returned: always
      type: complex
      contains:
        netns:
          description: The namespace read (O(netns)); null for the module's own.
          returned: always
          type: str
          sample: blue
        port:
          description:
            - The receive ports, one mapping each, keys as in a state file (C(port), C(ipproto)
              or C(gue), C(family) where not inet, C(local), C(peer), C(peer_port), C(dev),
              C(remcsum_nopartial)); settings at their default are left out.
          returned: always
          type: list
          elements: dict
          sample: [{port: 5555, ipproto: 4}]
        tunnel:
          description:
            - The tunnels (not the kernel's fallback devices), one mapping each, keys as in a
              state file (C(name), C(mode), C(local), C(remote), C(encap), C(encap-dport), C(up),
              ...); settings at their default are left out.
          returned: always
          type: list
          elements: dict
          sample:
            - {name: fou1, mode: ipip, local: 192.0.2.1, remote: 192.0.2.2, encap: fou,
               encap-sport: auto, encap-dport: 5555, encap-csum: false, encap-csum6: false,
               encap-remcsum: false, up: true}
        content:
          description: The TOML text rfou printed, a desired-state file for M(rfou.fou.rfou_apply).
          returned: always
          type: str
          sample: "# rfou desired state (rfou export)\n\n[[port]]\nport = 5555\nipproto = 4\n"
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.rfou.fou.plugins.module_utils.rfou import parse_toml, rfou_command, toml_parser


def facts_of(netns, content):
    """The fact `rfou` for rfou export's `content`: its ports and tunnels (empty lists where it
    has none), the text itself, and the namespace. Raises ValueError for text that is not TOML."""
    exported = parse_toml(content)
    return dict(
        netns=netns or None,
        port=exported.get('port', []),
        tunnel=exported.get('tunnel', []),
        content=content,
    )


def main():
    module = AnsibleModule(
        argument_spec=dict(
            netns=dict(type='str'),
            rfou=dict(type='path', default='rfou'),
        ),
        supports_check_mode=True,
    )
    if toml_parser is None:
        module.fail_json(msg=missing_required_lib('tomli', reason='to parse rfou export on a Python older than 3.11 (3.11 has tomllib)'))
    cmd = rfou_command(module, 'export')
    rc, stdout, stderr = module.run_command(cmd)
    if rc != 0:
        module.fail_json(msg=stderr.strip() or 'rfou exited %d' % rc, rc=rc, cmd=cmd, stdout=stdout, stderr=stderr)
    try:
        facts = facts_of(module.params['netns'], stdout)
    except ValueError as error:
        module.fail_json(msg='rfou export printed what is not TOML: %s' % error, rc=rc, cmd=cmd, stdout=stdout, stderr=stderr)
    module.exit_json(changed=False, ansible_facts=dict(rfou=facts))


if __name__ == '__main__':
    main()
