/** canonicalIp (issue 15 item 10): one text form per address, so manifests and hosts compare as strings. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalIp } from '../../src/lib/ip.js';

test('IPv6: lower case and RFC 5952 compression', () => {
  const cases: [string, string][] = [
    ['2001:DB8::1', '2001:db8::1'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // the first of two equal runs
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // one zero group is not compressed
    ['2001:db8::0:1:0:0:0', '2001:db8:0:0:1::'], // the longest run wins
    ['0:0:0:0:0:0:0:0', '::'],
    ['::1', '::1'],
    ['FE80::1%12', 'fe80::1%12'],
    ['2001:db8::192.0.2.1', '2001:db8::c000:201'],
  ];
  for (const [text, want] of cases) assert.equal(canonicalIp(text), want, text);
});

test('IPv4-mapped IPv6 is the IPv4 address it carries; IPv4 stays as it is', () => {
  assert.equal(canonicalIp('::ffff:10.0.0.5'), '10.0.0.5');
  assert.equal(canonicalIp('::FFFF:a00:5'), '10.0.0.5');
  assert.equal(canonicalIp('10.0.0.5'), '10.0.0.5');
  assert.equal(canonicalIp('10.0.0.050'), '10.0.0.50');
});

test('what is no address is returned untouched', () => {
  for (const t of ['*', '', 'web.example.com', '10.0.0.256', '2001:db8:::1']) assert.equal(canonicalIp(t), t);
});
