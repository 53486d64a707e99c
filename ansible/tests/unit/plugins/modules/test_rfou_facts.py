# -*- coding: utf-8 -*-
# MIT License (see the galaxy.yml of this collection)
"""Unit tests of rfou.fou.rfou_facts: `rfou export` parsed into the fact `rfou`, with a fake
rfou (rfou_fake) that prints what rfou export prints."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import unittest
from unittest import mock

from ansible_collections.rfou.fou.plugins.module_utils import rfou as rfou_utils
from ansible_collections.rfou.fou.plugins.modules import rfou_facts
from ansible_collections.rfou.fou.tests.unit.plugins.modules.rfou_fake import FakeRfouTestCase, run_module, tomli_or_fail

# As rfou export writes it (src/state/export.rs): a header comment, ports, then tunnels.
EXPORT = '''# rfou desired state (rfou export)

[[port]]
port = 5555
ipproto = 4

[[port]]
port = 5556
gue = true
family = "inet6"
local = "2001:db8::1"
dev = "ünder0"

[[tunnel]]
name = "fou1"
mode = "ipip"
local = "192.0.2.1"
remote = "192.0.2.2"
encap = "fou"
encap-sport = "auto"
encap-dport = 5555
encap-csum = false
encap-csum6 = false
encap-remcsum = false
up = true
'''


class FactsTestCase(FakeRfouTestCase):

    def facts(self, **args):
        args.setdefault('rfou', self.rfou)
        return run_module(rfou_facts.main, args)


class ExportParsed(FactsTestCase):

    def test_ports_and_tunnels_as_lists_of_mappings(self):
        self.reply(stdout=EXPORT)
        ended = self.facts(netns='blue')
        self.assertFalse(ended.failed, ended.result)
        self.assertFalse(ended.result['changed'])
        self.assertEqual(self.ran(), (['-n', 'blue', 'export'], None))
        fact = ended.result['ansible_facts']['rfou']
        self.assertEqual(fact['netns'], 'blue')
        self.assertEqual(fact['port'], [
            dict(port=5555, ipproto=4),
            dict(port=5556, gue=True, family='inet6', local='2001:db8::1', dev='ünder0'),
        ])
        self.assertEqual(fact['tunnel'], [{
            'name': 'fou1', 'mode': 'ipip', 'local': '192.0.2.1', 'remote': '192.0.2.2', 'encap': 'fou',
            'encap-sport': 'auto', 'encap-dport': 5555, 'encap-csum': False, 'encap-csum6': False,
            'encap-remcsum': False, 'up': True,
        }])
        self.assertEqual(fact['content'], EXPORT)

    def test_an_empty_namespace_has_empty_lists(self):
        self.reply(stdout='# rfou desired state (rfou export)\n')
        ended = self.facts()
        self.assertFalse(ended.failed, ended.result)
        self.assertEqual(self.ran(), (['export'], None))
        fact = ended.result['ansible_facts']['rfou']
        self.assertEqual((fact['netns'], fact['port'], fact['tunnel']), (None, [], []))

    def test_rfous_failure_is_the_tasks(self):
        self.reply(stderr='rfou: network namespace blue: no such namespace (/run/netns/blue)\n', rc=1)
        ended = self.facts(netns='blue')
        self.assertTrue(ended.failed)
        self.assertEqual(ended.result['msg'], 'rfou: network namespace blue: no such namespace (/run/netns/blue)')
        self.assertEqual(ended.result['rc'], 1)
        self.assertNotIn('ansible_facts', ended.result)

    def test_output_that_is_not_toml_fails(self):
        self.reply(stdout='[[port]\n')
        ended = self.facts()
        self.assertTrue(ended.failed)
        self.assertIn('not TOML', ended.result['msg'])

    def test_no_toml_parser_is_named_before_rfou_runs(self):
        self.reply(stdout=EXPORT)
        with mock.patch.object(rfou_facts, 'toml_parser', None):
            ended = self.facts()
        self.assertTrue(ended.failed)
        self.assertIn('tomli', ended.result['msg'])
        self.assertIn('3.11', ended.result['msg'])
        self.assertIsNone(self.ran())


class ExportParsedWithTomli(FactsTestCase):
    """Before Python 3.11 (no tomllib), tomli parses the export, to the same facts."""

    def test_the_same_facts_as_with_tomllib(self):
        self.reply(stdout=EXPORT)
        expected = self.facts(netns='blue').result['ansible_facts']
        tomli = tomli_or_fail(self)
        with mock.patch.object(rfou_utils, 'toml_parser', tomli), mock.patch.object(rfou_facts, 'toml_parser', tomli):
            ended = self.facts(netns='blue')
        self.assertFalse(ended.failed, ended.result)
        self.assertEqual(ended.result['ansible_facts'], expected)
        self.assertEqual(ended.result['ansible_facts']['rfou']['port'][1]['dev'], 'ünder0')


if __name__ == '__main__':
    unittest.main()
