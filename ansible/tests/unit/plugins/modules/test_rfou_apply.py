# -*- coding: utf-8 -*-
# MIT License (see the galaxy.yml of this collection)
"""Unit tests of rfou.fou.rfou_apply: what it hands rfou and what it reports, with a fake rfou
(rfou_fake); the kernel side is tests/kernel/ansible.rs of the repository."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import unittest
from unittest import mock

from ansible_collections.rfou.fou.plugins.module_utils import rfou as rfou_utils
from ansible_collections.rfou.fou.plugins.modules import rfou_apply
from ansible_collections.rfou.fou.tests.unit.plugins.modules.rfou_fake import FakeRfouTestCase, run_module, tomli_or_fail

ADD_PORT = dict(action='add', object='port', port=5555, text='+ port 5555 ipproto 4')
CHANGE_DPORT = dict(action='change', object='tunnel', name='fou1', key='encap-dport', old='6666', new='5555',
                    text='~ tunnel fou1 encap-dport 6666 -> 5555')
ONE_PORT = dict(port=[dict(port=5555, ipproto='ipip')])


class ApplyTestCase(FakeRfouTestCase):

    def apply(self, check=False, diff=False, **args):
        args.setdefault('rfou', self.rfou)
        args['_ansible_check_mode'] = check
        args['_ansible_diff'] = diff
        return run_module(rfou_apply.main, args)


class NonAsciiReachesRfou(ApplyTestCase):
    """A string with non-ASCII characters reaches rfou as UTF-8 text, the characters themselves."""

    def test_state_strings_are_utf8_not_json_escapes(self):
        self.report(True, [ADD_PORT])
        state = dict(port=[dict(port=5555, ipproto='ipip', local='192.0.2.1', dev='ünder0')],
                     tunnel=[dict(name='fou-😀', mode='ipip', remote='192.0.2.2', encap='fou', **{'encap-dport': 5555})])
        ended = self.apply(state=state)
        self.assertFalse(ended.failed, ended.result)
        argv, stdin = self.ran()
        self.assertEqual(argv[-1], '-')
        self.assertIn('dev = "ünder0"'.encode('utf-8'), stdin)
        self.assertIn('name = "fou-😀"'.encode('utf-8'), stdin)
        self.assertNotIn(b'\\u', stdin)
        self.assertEqual(rfou_utils.parse_toml(stdin.decode('utf-8')), state)
        self.assertEqual(ended.result['toml'].encode('utf-8'), stdin)

    def test_content_bytes_pass_unchanged(self):
        self.report(False)
        content = '# Zürich ⇄ 東京\n[[port]]\nport = 5555\nipproto = "ipip"\n'
        ended = self.apply(content=content)
        self.assertFalse(ended.failed, ended.result)
        self.assertEqual(self.ran()[1], content.encode('utf-8'))

    def test_quotes_backslashes_and_control_characters_round_trip(self):
        self.report(False)
        state = dict(tunnel=[dict(name='a"b\\c\td\ne\x01f\x7f')])
        ended = self.apply(state=state)
        self.assertFalse(ended.failed, ended.result)
        self.assertEqual(rfou_utils.parse_toml(self.ran()[1].decode('utf-8')), state)

    def test_a_key_toml_cannot_leave_bare_is_quoted(self):
        self.report(False)
        state = dict(port=[{'port': 1, 'dév ice': 'x'}])
        self.apply(state=state)
        self.assertEqual(rfou_utils.parse_toml(self.ran()[1].decode('utf-8')), state)

    def test_a_lone_surrogate_is_refused_naming_the_key(self):
        ended = self.apply(state=dict(tunnel=[dict(name='fou\ud83d')]))
        self.assertTrue(ended.failed)
        self.assertIn('state.tunnel[0].name', ended.result['msg'])
        self.assertIsNone(self.ran())


class StateTheModuleCannotWrite(ApplyTestCase):
    """What TOML tables cannot hold fails the task, naming it, and rfou does not run."""

    def assert_refused(self, state, where):
        ended = self.apply(state=state)
        self.assertTrue(ended.failed)
        self.assertIn(where, ended.result['msg'])
        self.assertFalse(ended.result.get('changed', False))
        self.assertIsNone(self.ran())

    def test_a_table_that_is_not_a_list(self):
        self.assert_refused(dict(port=dict(port=5555)), 'state.port must be a list')

    def test_an_entry_that_is_not_a_mapping(self):
        self.assert_refused(dict(port=[5555]), 'state.port[0] must be a mapping')

    def test_a_float(self):
        self.assert_refused(dict(tunnel=[dict(name='t', mtu=1400.5)]), 'state.tunnel[0].mtu is a float')

    def test_a_key_without_value(self):
        self.assert_refused(dict(tunnel=[dict(name='t', remote=None)]), 'state.tunnel[0].remote has no value')


class EmptyStateWithPrune(ApplyTestCase):
    """An empty state with prune is refused before rfou runs, unless allow_empty_prune."""

    def assert_refused(self, check=False, **args):
        ended = self.apply(check=check, prune=True, **args)
        self.assertTrue(ended.failed, ended.result)
        self.assertIn('allow_empty_prune', ended.result['msg'])
        self.assertFalse(ended.result.get('changed', False))
        self.assertIsNone(self.ran(), 'rfou ran')

    def test_empty_mapping(self):
        self.assert_refused(state={})

    def test_empty_lists(self):
        self.assert_refused(state=dict(port=[], tunnel=[]))

    def test_the_message_names_the_namespace(self):
        ended = self.apply(prune=True, state={}, netns='blue')
        self.assertIn('network namespace blue', ended.result['msg'])

    def test_in_check_mode_too(self):
        self.assert_refused(check=True, state={})

    def test_empty_content(self):
        self.assert_refused(content='')

    def test_content_of_comments(self):
        self.assert_refused(content='# nothing here\n\n# [[port]]\n')

    def test_content_of_empty_arrays(self):
        self.assert_refused(content='port = []\ntunnel = []\n')

    def test_empty_src_file(self):
        path = os.path.join(self.dir, 'empty.toml')
        with open(path, 'w') as state_file:
            state_file.write('# emptied by a template\n')
        self.assert_refused(src=path)

    def test_allowed_when_the_play_says_so(self):
        self.report(True, [dict(action='delete', object='port', port=5555, text='- port 5555 ipproto 4')])
        ended = self.apply(state={}, prune=True, allow_empty_prune=True)
        self.assertFalse(ended.failed, ended.result)
        self.assertTrue(ended.result['changed'])
        self.assertEqual(self.ran()[0], ['-j', 'apply', '--prune', '-'])

    def test_an_empty_state_without_prune_runs(self):
        self.report(False)
        ended = self.apply(state={})
        self.assertFalse(ended.failed, ended.result)
        self.assertEqual(self.ran(), (['-j', 'apply', '-'], b'\n'))

    def test_a_state_with_entries_and_prune_runs(self):
        self.report(False)
        for args in (dict(state=ONE_PORT), dict(content='[[port]]\nport = 5555\ngue = true\n'),
                     dict(content='tunnel = [{name = "t", mode = "ipip"}]\n')):
            if os.path.exists(self.log):
                os.remove(self.log)
            ended = self.apply(prune=True, **args)
            self.assertFalse(ended.failed, (args, ended.result))
            self.assertIn('--prune', self.ran()[0])

    def test_a_src_file_that_cannot_be_read_is_left_to_rfou(self):
        self.reply(stderr='rfou: cannot read /nonexistent.toml: No such file or directory\n', rc=2)
        ended = self.apply(src='/nonexistent.toml', prune=True)
        self.assertTrue(ended.failed)
        self.assertIn('cannot read /nonexistent.toml', ended.result['msg'])


class EmptyStateWithTomli(ApplyTestCase):
    """Before Python 3.11 (no tomllib), tomli parses the text to count its entries."""

    def setUp(self):
        super(EmptyStateWithTomli, self).setUp()
        tomli = mock.patch.object(rfou_utils, 'toml_parser', tomli_or_fail(self))
        tomli.start()
        self.addCleanup(tomli.stop)

    def test_empty_arrays_are_refused_and_entries_run(self):
        ended = self.apply(content='port = [\n]\n', prune=True)
        self.assertIn('allow_empty_prune', ended.result['msg'])
        self.assertIsNone(self.ran())
        self.report(False)
        ended = self.apply(content='port = [\n  {port = 1, gue = true},\n]\n', prune=True)
        self.assertFalse(ended.failed, ended.result)
        self.assertIn('--prune', self.ran()[0])


class EmptyStateWithoutTomlParser(ApplyTestCase):
    """On a Python without tomllib or tomli, a text is empty unless a line opens an entry."""

    def setUp(self):
        super(EmptyStateWithoutTomlParser, self).setUp()
        no_parser = mock.patch.object(rfou_utils, 'toml_parser', None)
        no_parser.start()
        self.addCleanup(no_parser.stop)

    def test_comments_and_empty_arrays_are_refused(self):
        for content in ('', '# [[port]]\n', 'port = []\n', 'port = [\n]\n'):
            ended = self.apply(content=content, prune=True)
            self.assertTrue(ended.failed, content)
            self.assertIn('allow_empty_prune', ended.result['msg'])
        self.assertIsNone(self.ran())

    def test_entries_are_seen(self):
        self.report(False)
        for content in ('[[port]]\nport = 1\ngue = true\n', '  [[ "tunnel" ]]\nname = "t"\n',
                        'tunnel = [ {name = "t", mode = "ipip"} ]\n'):
            ended = self.apply(content=content, prune=True)
            self.assertFalse(ended.failed, (content, ended.result))


class ChangedOnFailure(ApplyTestCase):
    """changed is true whenever rfou changed anything, also when the task fails."""

    def test_a_failure_report_that_changed_the_namespace(self):
        self.report(True, [ADD_PORT], rc=1, error='rfou: tunnel fou1: the kernel refused; port 5555 could not be deleted again')
        ended = self.apply(state=ONE_PORT)
        self.assertTrue(ended.failed)
        self.assertTrue(ended.result['changed'])
        self.assertEqual(ended.result['msg'], 'rfou: tunnel fou1: the kernel refused; port 5555 could not be deleted again')
        self.assertEqual(ended.result['changes'], [ADD_PORT])
        self.assertEqual(ended.result['rc'], 1)

    def test_a_failure_report_that_changed_nothing(self):
        self.report(False, [], rc=2, error='rfou: <stdin>:2: unknown key "prot"')
        ended = self.apply(state=dict(port=[dict(prot=1)]))
        self.assertTrue(ended.failed)
        self.assertFalse(ended.result['changed'])
        self.assertEqual(ended.result['msg'], 'rfou: <stdin>:2: unknown key "prot"')

    def test_todays_rfou_refusal_without_report_changed_nothing(self):
        for rc in (1, 2):
            self.reply(stderr='rfou: port 5555: the kernel refused: Address already in use\n', rc=rc)
            ended = self.apply(state=ONE_PORT)
            self.assertTrue(ended.failed)
            self.assertFalse(ended.result['changed'])
            self.assertEqual(ended.result['msg'], 'rfou: port 5555: the kernel refused: Address already in use')
            self.assertEqual(ended.result['rc'], rc)
            self.assertEqual(ended.result['changes'], [])

    def test_killed_rfou_may_have_changed_the_namespace(self):
        self.reply(signal=9)
        ended = self.apply(state=ONE_PORT)
        self.assertTrue(ended.failed)
        self.assertTrue(ended.result['changed'])
        self.assertIn('signal 9', ended.result['msg'])

    def test_killed_rfou_in_check_mode_changed_nothing(self):
        self.reply(signal=9)
        ended = self.apply(check=True, state=ONE_PORT)
        self.assertTrue(ended.failed)
        self.assertFalse(ended.result['changed'])

    def test_an_unknown_status_may_have_changed_the_namespace(self):
        self.reply(stderr='boom\n', rc=101)
        ended = self.apply(state=ONE_PORT)
        self.assertTrue(ended.failed)
        self.assertTrue(ended.result['changed'])
        self.assertEqual(ended.result['msg'], 'boom')

    def test_success_without_report_fails_and_may_have_changed(self):
        self.reply(stdout='+ port 5555 ipproto 4\n')
        ended = self.apply(state=ONE_PORT)
        self.assertTrue(ended.failed)
        self.assertTrue(ended.result['changed'])
        self.assertIn('no JSON report', ended.result['msg'])

    def test_success_reports_rfous_changed(self):
        for changed, changes in ((True, [ADD_PORT]), (False, [])):
            self.report(changed, changes)
            ended = self.apply(state=ONE_PORT)
            self.assertFalse(ended.failed)
            self.assertEqual(ended.result['changed'], changed)
            self.assertEqual(ended.result['changes'], changes)
            self.assertNotIn('rc', ended.result)


class CheckAndDiff(ApplyTestCase):
    """Check mode is `rfou apply --check`; diff mode shows rfou's plan."""

    def test_check_mode_runs_check_and_would_change_is_changed(self):
        self.report(True, [ADD_PORT, CHANGE_DPORT], rc=3)
        ended = self.apply(check=True, state=ONE_PORT)
        self.assertFalse(ended.failed, ended.result)
        self.assertTrue(ended.result['changed'])
        # Ansible fails a task whose result has a non-zero rc: rfou's 3 stays out of it.
        self.assertNotIn('rc', ended.result)
        self.assertEqual(self.ran()[0], ['-j', 'apply', '--check', '-'])
        self.assertNotIn('diff', ended.result)

    def test_check_mode_in_sync(self):
        self.report(False)
        ended = self.apply(check=True, src='/etc/rfou/site.toml', netns='blue', prune=True)
        self.assertFalse(ended.failed, ended.result)
        self.assertFalse(ended.result['changed'])
        self.assertEqual(self.ran(), (['-n', 'blue', '-j', 'apply', '--check', '--prune', '/etc/rfou/site.toml'], None))

    def test_status_3_outside_check_mode_is_a_failure(self):
        self.report(True, [ADD_PORT], rc=3)
        ended = self.apply(state=ONE_PORT)
        self.assertTrue(ended.failed)
        self.assertTrue(ended.result['changed'])

    def test_diff_is_the_plan(self):
        self.report(True, [ADD_PORT, CHANGE_DPORT], rc=3)
        ended = self.apply(check=True, diff=True, state=ONE_PORT)
        self.assertEqual(ended.result['diff'], dict(prepared='+ port 5555 ipproto 4\n~ tunnel fou1 encap-dport 6666 -> 5555\n'))
        self.report(True, [ADD_PORT])
        ended = self.apply(diff=True, state=ONE_PORT)
        self.assertEqual(self.ran()[0], ['-j', 'apply', '-'])
        self.assertEqual(ended.result['diff'], dict(prepared='+ port 5555 ipproto 4\n'))

    def test_diff_in_sync_is_empty(self):
        self.report(False)
        ended = self.apply(diff=True, state=ONE_PORT)
        self.assertEqual(ended.result['diff'], dict(prepared=''))


class Arguments(ApplyTestCase):

    def test_exactly_one_state_source(self):
        for args in (dict(), dict(state=ONE_PORT, content='')):
            ended = self.apply(**args)
            self.assertTrue(ended.failed)
        self.assertIsNone(self.ran())

    def test_rfou_missing_from_path_is_named(self):
        with mock.patch.dict(os.environ, PATH=self.dir):
            ended = self.apply(state=ONE_PORT, rfou='rfou-that-is-not-installed')
        self.assertTrue(ended.failed)
        self.assertIn('rfou-that-is-not-installed', ended.result['msg'])

    def test_rfou_found_on_path(self):
        self.report(False)
        with mock.patch.dict(os.environ, PATH=self.dir):
            ended = self.apply(state=ONE_PORT, rfou='rfou')
        self.assertFalse(ended.failed, ended.result)
        self.assertEqual(ended.result['cmd'][0], self.rfou)


if __name__ == '__main__':
    unittest.main()
