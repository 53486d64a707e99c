#!/usr/bin/python
# -*- coding: utf-8 -*-
"""Ansible module rfou_apply: a thin wrapper of `rfou -j apply`.

rfou plans and applies (all or nothing); this module only hands it the desired state and
reports what rfou said: changed exactly when rfou's "changed" is true, rfou's own message
on failure.
"""

DOCUMENTATION = r"""
module: rfou_apply
short_description: Make a network namespace hold the FOU/GUE ports and tunnels given
description:
  - Runs C(rfou -j apply) with the desired state, inline (I(state) or I(content)) or as a
    file on the managed host (I(src)).
  - Check mode runs C(rfou apply --check) and changes nothing.
  - Diff mode shows rfou's plan, one line per change.
options:
  state:
    description: The desired state as data, C({port: [...], tunnel: [...]}), keys as in
      rfou-apply(8).
    type: dict
  content:
    description: The desired state as TOML text.
    type: str
  src:
    description: A desired-state TOML file on the managed host.
    type: path
  netns:
    description: The network namespace (C(rfou -n)).
    type: str
  prune:
    description: Also delete the fou ports and FOU/GUE tunnels the state does not name.
    type: bool
    default: false
  rfou:
    description: The rfou program.
    type: path
    default: rfou
"""

EXAMPLES = r"""
- name: FOU receive port and tunnel
  rfou_apply:
    state:
      port:
        - {port: 5555, ipproto: ipip}
      tunnel:
        - {name: tun1, mode: ipip, local: 192.0.2.1, remote: 192.0.2.2,
           encap: fou, encap-dport: 5555, up: true}
"""

import json

from ansible.module_utils.basic import AnsibleModule


def toml_value(value):
    """A TOML value: booleans, integers and strings are all a state file holds."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        # JSON's string escapes are TOML's too.
        return json.dumps(value)
    raise ValueError("values must be numbers, strings or booleans, not %r" % (value,))


def to_toml(state):
    """The state as TOML: arrays of tables [[port]] and [[tunnel]]. rfou checks the keys."""
    lines = []
    for table, entries in state.items():
        if not isinstance(entries, list):
            raise ValueError("%s must be a list of entries" % table)
        for entry in entries:
            if not isinstance(entry, dict):
                raise ValueError("each %s entry must be a mapping" % table)
            lines.append("[[%s]]" % table)
            for key, value in entry.items():
                lines.append("%s = %s" % (json.dumps(str(key)), toml_value(value)))
            lines.append("")
    return "\n".join(lines)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type="dict"),
            content=dict(type="str"),
            src=dict(type="path"),
            netns=dict(type="str"),
            prune=dict(type="bool", default=False),
            rfou=dict(type="path", default="rfou"),
        ),
        mutually_exclusive=[["state", "content", "src"]],
        required_one_of=[["state", "content", "src"]],
        supports_check_mode=True,
    )
    p = module.params
    data = None
    if p["state"] is not None:
        try:
            data = to_toml(p["state"])
        except ValueError as e:
            module.fail_json(msg="state: %s" % e)
    elif p["content"] is not None:
        data = p["content"]
    cmd = [p["rfou"], "-j"]
    if p["netns"]:
        cmd += ["-n", p["netns"]]
    cmd.append("apply")
    if module.check_mode:
        cmd.append("--check")
    if p["prune"]:
        cmd.append("--prune")
    cmd.append(p["src"] if p["src"] is not None else "-")
    rc, out, err = module.run_command(cmd, data=data, binary_data=True)
    # rfou: 0 done (or in sync), 3 --check would change; 1 refused (undone), 2 bad state.
    if rc not in (0, 3):
        module.fail_json(msg=err.strip() or "rfou exited %d" % rc, rc=rc, cmd=cmd,
                         stdout=out, stderr=err)
    try:
        result = json.loads(out)
    except ValueError:
        module.fail_json(msg="rfou printed no JSON: %s" % out, rc=rc, stderr=err)
    lines = [c["text"] for c in result["changes"]]
    response = dict(changed=bool(result["changed"]), changes=result["changes"])
    if module._diff:
        response["diff"] = dict(prepared="\n".join(lines) + ("\n" if lines else ""))
    module.exit_json(**response)


if __name__ == "__main__":
    main()
