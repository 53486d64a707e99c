# -*- coding: utf-8 -*-
# MIT License (see the galaxy.yml of this collection)
"""What the modules' unit tests share: a fake rfou program and a way to run a module's main().

The fake rfou is a real executable (the modules run it with run_command, as they run rfou):
it records its arguments and the bytes it read on standard input, then prints what the test
told it to and exits with the status (or the signal) the test chose."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import shutil
import sys
import tempfile
import unittest
from unittest import mock

from ansible.module_utils import basic

FAKE_RFOU = r'''
import json, os, signal, sys
with open(os.environ['RFOU_FAKE_REPLY']) as reply_file:
    reply = json.load(reply_file)
# rfou reads standard input only for the file `-`; reading it otherwise could wait forever.
data = sys.stdin.buffer.read() if '-' in sys.argv[1:] else None
with open(os.environ['RFOU_FAKE_LOG'], 'w') as log:
    json.dump(dict(argv=sys.argv[1:], stdin=None if data is None else data.decode('latin-1')), log)
sys.stdout.write(reply.get('stdout', ''))
sys.stderr.write(reply.get('stderr', ''))
sys.stdout.flush()
sys.stderr.flush()
if reply.get('signal'):
    os.kill(os.getpid(), reply['signal'])
sys.exit(reply.get('rc', 0))
'''


def tomli_or_fail(test):
    """The tomli module, the parser the modules use on a Python older than 3.11; the test fails,
    saying where to get it, when it is missing."""
    try:
        import tomli
    except ImportError:
        test.fail('the tomli package is missing: scripts/ansible-check installs it into its venv')
    return tomli


class ModuleExit(Exception):
    """exit_json or fail_json was called: `failed` and the result the task would report."""

    def __init__(self, failed, result):
        super(ModuleExit, self).__init__(result.get('msg', ''))
        self.failed = failed
        self.result = result


def _patched_args(args):
    """The module arguments for AnsibleModule, in the way this ansible-core reads them."""
    try:
        from ansible.module_utils.testing import patch_module_args
    except ImportError:
        payload = json.dumps(dict(ANSIBLE_MODULE_ARGS=args)).encode('utf-8')
        return mock.patch.object(basic, '_ANSIBLE_ARGS', payload)
    return patch_module_args(args)


def run_module(main, args):
    """Runs a module's main() with `args`; returns the ModuleExit it ended with."""

    def exit_json(module, **result):
        raise ModuleExit(False, result)

    def fail_json(module, msg, **result):
        result['msg'] = msg
        raise ModuleExit(True, result)

    with _patched_args(args):
        with mock.patch.object(basic.AnsibleModule, 'exit_json', exit_json):
            with mock.patch.object(basic.AnsibleModule, 'fail_json', fail_json):
                try:
                    main()
                except ModuleExit as ended:
                    return ended
    raise AssertionError('the module returned without exit_json or fail_json')


class FakeRfouTestCase(unittest.TestCase):
    """A test with a fake rfou at self.rfou; self.reply() says what it does when run."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix='rfou-ansible-unit-')
        self.addCleanup(shutil.rmtree, self.dir)
        self.rfou = os.path.join(self.dir, 'rfou')
        with open(self.rfou, 'w') as program:
            program.write('#!%s\n%s' % (sys.executable, FAKE_RFOU))
        os.chmod(self.rfou, 0o755)
        self.log = os.path.join(self.dir, 'log.json')
        self.reply_path = os.path.join(self.dir, 'reply.json')
        environ = mock.patch.dict(os.environ, RFOU_FAKE_REPLY=self.reply_path, RFOU_FAKE_LOG=self.log)
        environ.start()
        self.addCleanup(environ.stop)
        self.reply()

    def reply(self, stdout='', stderr='', rc=0, signal=None):
        """What the fake rfou prints and how it ends, from now on."""
        with open(self.reply_path, 'w') as reply_file:
            json.dump(dict(stdout=stdout, stderr=stderr, rc=rc, signal=signal), reply_file)

    def report(self, changed, changes=(), rc=0, **extra):
        """The fake rfou prints a JSON report like `rfou -j apply`."""
        report = dict(changed=changed, changes=list(changes))
        report.update(extra)
        self.reply(stdout=json.dumps(report) + '\n', rc=rc)

    def ran(self):
        """(argv, the bytes on standard input or None) of the fake rfou's run; None if it did
        not run."""
        if not os.path.exists(self.log):
            return None
        with open(self.log) as log:
            record = json.load(log)
        stdin = record['stdin']
        return record['argv'], None if stdin is None else stdin.encode('latin-1')
