#!/usr/bin/python
# -*- coding: utf-8 -*-
# MIT License (see the galaxy.yml of this collection)
"""The module rfou.fou.rfou_apply: `rfou -j apply` with the play's desired state.

rfou reads the namespace, plans and applies, all or nothing; this module hands it the state
(as UTF-8 TOML text on standard input, or the path of a file on the host), refuses an empty
state with prune unless the play allows it, and reports what rfou said."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: rfou_apply
short_description: Make a network namespace hold the FOU and GUE ports and tunnels a state says
version_added: 0.1.0
description:
  - Runs C(rfou -j apply) on the managed host with a desired state of receive ports and
    tunnels, given inline (O(state) as data, O(content) as TOML text) or as a file on the
    managed host (O(src)). rfou adds what is missing, changes in place what differs, leaves
    alone what the state does not name, and undoes its own changes when the kernel refuses
    one (see rfou-apply(8)).
  - rfou does the planning; the module reports rfou's plan and result as they are.
    RV(ignore:changed) is true when rfou reports that it changed the namespace, on success
    and on failure.
  - With O(prune=true), rfou also deletes the receive ports and the FOU/GUE tunnels that the
    state does not name. An empty state with O(prune=true) would delete all of them, so the
    module refuses it unless O(allow_empty_prune=true).
author:
  - rfou maintainers (!UNKNOWN)
requirements:
  - rfou on the managed host (on PATH or in an sbin directory, or named by O(rfou))
  - Python 3 on the managed host
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Runs C(rfou apply --check), which reads the namespace, plans and changes nothing.
  diff_mode:
    support: full
    details: The diff is rfou's plan, one line per change, as C(rfou apply) prints it.
  platform:
    platforms: posix
    details: Linux, with the C(fou) kernel module (and C(fou6) for IPv6 tunnels).
options:
  state:
    description:
      - The desired state as data, the tables of an rfou state file. V(port) is a list of
        receive ports, V(tunnel) a list of tunnels; their keys are those of rfou-apply(8)
        (C(port), C(ipproto) or C(gue), C(local), C(dev), ...; C(name), C(mode), C(local),
        C(remote), C(encap), C(encap-dport), C(up), ...), their values integers, strings and
        booleans.
      - Written as TOML in UTF-8, so a string with non-ASCII characters reaches rfou as it is.
      - A value keeps the type it has in the play, with one trap before ansible-core 2.19. There
        a template with a filter (V({{ dport | int }})) makes a string, which rfou refuses where
        it wants a number, while a variable alone (V({{ dport }})) keeps its type (as tried with
        ansible-core 2.15 and 2.19).
      - Exactly one of O(state), O(content) and O(src) is given.
    type: dict
  content:
    description:
      - The desired state as TOML text, as rfou-apply(8) describes the file (for example from
        the P(ansible.builtin.template#lookup) lookup).
    type: str
  src:
    description:
      - The path of a desired-state TOML file on the managed host. rfou reads it and names its
        lines in its messages.
    type: path
  netns:
    description:
      - The network namespace to act in (C(rfou -n), a name under C(/run/netns)). Without it,
        the namespace the module runs in, usually the host's own.
    type: str
  prune:
    description:
      - Also delete the receive ports and the FOU/GUE-encapsulated tunnels that the state does
        not name (C(rfou apply --prune)). rfou never deletes other devices, nor the kernel's
        fallback devices.
    type: bool
    default: false
  allow_empty_prune:
    description:
      - With O(prune=true) and a state that names no port and no tunnel, delete every receive
        port and every FOU/GUE tunnel of the namespace. Without it, such a task fails and
        changes nothing.
      - An empty O(content) or O(src) is one whose TOML holds no entry. Where the managed
        host's Python has no TOML parser (before Python 3.11, without the tomli package), the
        text is taken as empty unless a line opens an entry (a C([[port]]) or C([[tunnel]])
        header, or an inline array of tables).
    type: bool
    default: false
  rfou:
    description:
      - The rfou program, a path or a name looked up on PATH and the sbin directories.
    type: path
    default: rfou
notes:
  - A failure carries rfou's message and exit status. rfou exits 2 for a state it refuses
    before changing anything (naming C(<stdin>:LINE) for O(state) and O(content), whose text
    is RV(toml)), and 1 when the kernel refused a change (rfou undoes what it had changed).
  - Where rfou reports on a failure whether the namespace differs from before (a JSON object
    with C(changed) on standard output), RV(ignore:changed) is that. Without such a report, a
    refusal (exit status 1 or 2) counts as nothing changed, and any other end of rfou (killed,
    say) as a change, since it may have left part of the plan done.
  - The desired-state file, the plan, and what apply and prune do are in rfou-apply(8).
seealso:
  - module: rfou.fou.rfou_facts
"""

EXAMPLES = r"""
- name: A FOU receive port and an ipip tunnel that sends to the peer's port
  rfou.fou.rfou_apply:
    state:
      port:
        - {port: 5555, ipproto: ipip}
      tunnel:
        - name: fou1
          mode: ipip
          local: "{{ underlay_ip }}"
          remote: "{{ peer_underlay_ip }}"
          encap: fou
          encap-dport: 5555
          up: true

- name: The same, in a network namespace, from a template, deleting the ports and tunnels it does not name
  rfou.fou.rfou_apply:
    netns: blue
    content: "{{ lookup('ansible.builtin.template', 'fou.toml.j2') }}"
    prune: true

- name: A state file already on the host
  rfou.fou.rfou_apply:
    src: /etc/rfou/site.toml

- name: What would change, without changing it
  rfou.fou.rfou_apply:
    src: /etc/rfou/site.toml
  check_mode: true
  diff: true
  register: plan

- name: Delete every receive port and FOU/GUE tunnel of the namespace
  rfou.fou.rfou_apply:
    netns: blue
    state: {}
    prune: true
    allow_empty_prune: true
"""

RETURN = r"""
changes:
  description:
    - rfou's plan, one item per change, as C(rfou -j apply) prints it; in check mode what
      would change. Empty when the namespace is in sync.
  returned: success, and on failure where rfou reports it
  type: list
  elements: dict
  sample:
    - {action: add, object: port, port: 5555, text: "+ port 5555 ipproto 4"}
    - {action: change, object: tunnel, name: fou1, key: encap-dport, old: "6666", new: "5555",
       text: "~ tunnel fou1 encap-dport 6666 -> 5555"}
  contains:
    action:
      description: V(add), V(delete), V(change) (a setting, in place) or V(replace) (deleted and made again).
      type: str
      returned: always
    object:
      description: V(port) or V(tunnel).
      type: str
      returned: always
    port:
      description: The receive port's number.
      type: int
      returned: for a port
    name:
      description: The tunnel's name.
      type: str
      returned: for a tunnel
    key:
      description: The setting that changes.
      type: str
      returned: for a change
    old:
      description: Its value now.
      type: str
      returned: for a change
    new:
      description: Its value after.
      type: str
      returned: for a change
    text:
      description: The line C(rfou apply) prints for this change.
      type: str
      returned: always
rc:
  description:
    - rfou's exit status on failure (1 refused by the kernel or the system, 2 a bad state or
      command line). A success has none (Ansible fails a task whose result has a non-zero
      C(rc), and C(rfou apply --check) exits 3 when the namespace would change).
  returned: failure, when rfou ran
  type: int
  sample: 2
cmd:
  description: The command line that ran.
  returned: when rfou ran
  type: list
  elements: str
  sample: [/usr/sbin/rfou, -j, -n, blue, apply, -]
stderr:
  description: What rfou wrote to standard error.
  returned: when rfou ran
  type: str
  sample: ""
toml:
  description:
    - The desired state as sent to rfou on standard input, UTF-8 TOML; the lines that rfou's
      C(<stdin>:LINE) messages name.
  returned: when O(state) or O(content) is given
  type: str
  sample: "[[port]]\nport = 5555\nipproto = \"ipip\"\n"
"""

import json

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.rfou.fou.plugins.module_utils.rfou import rfou_command
from ansible_collections.rfou.fou.plugins.module_utils.state_file import state_entries, text_entries, to_toml

# rfou apply's exit statuses: 0 done or in sync; 1 the kernel or the system refused (this run's
# changes undone); 2 a bad state or command line (nothing sent); 3 with --check: would change.
REFUSED = (1, 2)
WOULD_CHANGE = 3


def desired_text(module):
    """The TOML text for standard input (None with `src`); fails the task for a `state` that
    TOML cannot hold."""
    params = module.params
    if params['state'] is not None:
        try:
            return to_toml(params['state'])
        except ValueError as error:
            module.fail_json(msg=str(error))
    return params['content']


def entry_count(module, text):
    """How many entries the desired state holds; None for a file that cannot be read as text
    (rfou refuses it before changing anything)."""
    params = module.params
    if params['state'] is not None:
        return state_entries(params['state'])
    if text is None:
        try:
            with open(params['src'], 'rb') as state_file:
                text = state_file.read().decode('utf-8')
        except (IOError, OSError, UnicodeDecodeError):
            return None
    return text_entries(text)


def refuse_empty_prune(module, text):
    """Fails the task, before rfou runs, when prune would meet a state with no entry."""
    params = module.params
    if not params['prune'] or params['allow_empty_prune'] or entry_count(module, text) != 0:
        return
    where = 'network namespace %s' % params['netns'] if params['netns'] else "the module's network namespace"
    module.fail_json(
        msg='the state names no port and no tunnel, and prune is true: rfou would delete every receive port '
            'and every FOU/GUE tunnel of %s. Set allow_empty_prune: true if that is what this task means.' % where)


def report_of(stdout):
    """rfou's JSON report on standard output, or None where it printed none."""
    try:
        report = json.loads(stdout)
    except ValueError:
        return None
    return report if isinstance(report, dict) else None


def outcome(rc, stdout, stderr, check_mode):
    """What the task reports for rfou's exit status and output: (failed, result fields).

    `changed` is rfou's word where it gave a report. Without one, a refusal (1, 2) changed
    nothing, and any other end (a signal, an unknown status) may have changed the namespace
    outside check mode."""
    report = report_of(stdout)
    success = rc == 0 or (check_mode and rc == WOULD_CHANGE)
    if success and report is not None and 'changed' in report:
        return False, dict(changed=bool(report['changed']), changes=report.get('changes') or [])
    if report is not None and 'changed' in report:
        changed = bool(report['changed'])
    else:
        changed = not check_mode and rc not in REFUSED
    message = (report or {}).get('error') or stderr.strip()
    if success:
        message = 'rfou printed no JSON report: %s' % (stdout.strip() or message or '(nothing)')
    elif not message:
        message = 'rfou exited %d without a message' % rc if rc >= 0 else 'rfou was killed by signal %d' % -rc
    return True, dict(changed=changed, changes=(report or {}).get('changes') or [], msg=message)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type='dict'),
            content=dict(type='str'),
            src=dict(type='path'),
            netns=dict(type='str'),
            prune=dict(type='bool', default=False),
            allow_empty_prune=dict(type='bool', default=False),
            rfou=dict(type='path', default='rfou'),
        ),
        mutually_exclusive=[['state', 'content', 'src']],
        required_one_of=[['state', 'content', 'src']],
        supports_check_mode=True,
    )
    text = desired_text(module)
    refuse_empty_prune(module, text)

    words = ['apply']
    if module.check_mode:
        words.append('--check')
    if module.params['prune']:
        words.append('--prune')
    words.append('-' if module.params['src'] is None else module.params['src'])
    cmd = rfou_command(module, '-j', *words)
    # run_command gives the command no standard input for empty data; a newline is the same
    # empty TOML text.
    stdin = None if text is None else (text or '\n')
    rc, stdout, stderr = module.run_command(cmd, data=stdin, binary_data=True)

    failed, result = outcome(rc, stdout, stderr, module.check_mode)
    result.update(cmd=cmd, stderr=stderr)
    if text is not None:
        result['toml'] = text
    if failed:
        module.fail_json(rc=rc, **result)
    if module._diff:
        lines = [change['text'] for change in result['changes']]
        result['diff'] = dict(prepared=''.join(line + '\n' for line in lines))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
