/**
 * Reads what the package build must check in a Windows executable before shipping it: the PE header
 * (machine x86-64, PE32+ optional header) and the file version in its VS_FIXEDFILEINFO resource.
 */
import { readFileSync } from 'node:fs';

export interface PeInfo {
  machine: 'x64' | 'x86' | 'arm64' | `0x${string}`;
  /** PE32+ (64-bit optional header) rather than PE32. */
  pe32plus: boolean;
  /** e.g. 20.20.2.0, from VS_FIXEDFILEINFO; undefined if the file has no version resource. */
  fileVersion?: string;
}

const MACHINES: Record<number, PeInfo['machine']> = { 0x8664: 'x64', 0x14c: 'x86', 0xaa64: 'arm64' };
const FIXED_FILE_INFO_SIGNATURE = Buffer.from([0xbd, 0x04, 0xef, 0xfe]);

/** Parse a PE image; throws if it is not one. */
export function readPe(buf: Buffer): PeInfo {
  if (buf.length < 0x40 || buf.toString('latin1', 0, 2) !== 'MZ') throw new Error('not a PE file: no MZ header');
  const peOffset = buf.readUInt32LE(0x3c);
  if (peOffset + 26 > buf.length || buf.toString('latin1', peOffset, peOffset + 4) !== 'PE\0\0') {
    throw new Error('not a PE file: no PE signature');
  }
  const machineCode = buf.readUInt16LE(peOffset + 4);
  const magic = buf.readUInt16LE(peOffset + 24);
  const info: PeInfo = {
    machine: MACHINES[machineCode] ?? `0x${machineCode.toString(16)}`,
    pe32plus: magic === 0x20b,
  };
  // The first VS_FIXEDFILEINFO signature in the image: the version resource (rsrc is near the end).
  const at = buf.lastIndexOf(FIXED_FILE_INFO_SIGNATURE);
  if (at >= 0 && at + 16 <= buf.length) {
    const ms = buf.readUInt32LE(at + 8);
    const ls = buf.readUInt32LE(at + 12);
    info.fileVersion = [ms >>> 16, ms & 0xffff, ls >>> 16, ls & 0xffff].join('.');
  }
  return info;
}

export const readPeFile = (path: string): PeInfo => readPe(readFileSync(path));

/** Throw unless the file is an x86-64 PE32+ executable whose version starts with `version` (e.g. 20.20.2). */
export function assertWindowsX64(path: string, version: string): PeInfo {
  const pe = readPeFile(path);
  if (pe.machine !== 'x64' || !pe.pe32plus) throw new Error(`${path}: ${pe.machine}${pe.pe32plus ? ' PE32+' : ' PE32'}, not x86-64 PE32+`);
  if (!pe.fileVersion?.startsWith(`${version}.`)) throw new Error(`${path}: file version ${pe.fileVersion ?? 'none'}, not ${version}`);
  return pe;
}
