/** The PE reader the package build checks node.exe with: machine, PE32+, file version (issue 16). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readPe } from '../../scripts/package/pe.js';

/** A minimal PE image: MZ, e_lfanew, PE signature, machine, optional-header magic, then a VS_FIXEDFILEINFO. */
function fakePe(machine: number, magic: number, version?: [number, number, number, number]): Buffer {
  const b = Buffer.alloc(0x200);
  b.write('MZ', 0, 'latin1');
  b.writeUInt32LE(0x80, 0x3c);
  b.write('PE\0\0', 0x80, 'latin1');
  b.writeUInt16LE(machine, 0x84);
  b.writeUInt16LE(magic, 0x80 + 24);
  if (version) {
    Buffer.from([0xbd, 0x04, 0xef, 0xfe]).copy(b, 0x100);
    b.writeUInt32LE((version[0] << 16) | version[1], 0x108);
    b.writeUInt32LE((version[2] << 16) | version[3], 0x10c);
  }
  return b;
}

test('an x86-64 PE32+ image with its file version', () => {
  assert.deepEqual(readPe(fakePe(0x8664, 0x20b, [20, 20, 2, 0])), { machine: 'x64', pe32plus: true, fileVersion: '20.20.2.0' });
});

test('a 32-bit image and one without a version resource are told apart', () => {
  assert.deepEqual(readPe(fakePe(0x14c, 0x10b)), { machine: 'x86', pe32plus: false });
});

test('not a PE file', () => {
  assert.throws(() => readPe(Buffer.from('#!/bin/sh\necho hi\n'.padEnd(128))), /not a PE file/);
  const noSig = fakePe(0x8664, 0x20b);
  noSig.write('XX', 0x80, 'latin1');
  assert.throws(() => readPe(noSig), /no PE signature/);
});
