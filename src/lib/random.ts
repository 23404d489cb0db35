import { randomUUID } from 'node:crypto';

/**
 * The only source of randomness. Seeded (mulberry32) so a simulation run with
 * the same seed draws the same numbers.
 */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Integer in [min, max] inclusive. */
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
}

export class SeededRandom implements Random {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[this.int(0, items.length - 1)]!;
  }
}

/** A non-deterministic seed for real runs (the one place Math.random is allowed). */
export function freshSeed(): number {
  return Math.floor(Math.random() * 0xffffffff);
}

/**
 * An RFC 4122 version-4 UUID (object uids, lease identities). Drawn from
 * `random` when given (deterministic in the simulation), else from the
 * operating system's cryptographic source.
 */
export function uuid(random?: Random): string {
  if (!random) return randomUUID();
  const hex = Array.from({ length: 16 }, () => random.int(0, 255).toString(16).padStart(2, '0'));
  hex[6] = ((parseInt(hex[6]!, 16) & 0x0f) | 0x40).toString(16).padStart(2, '0');
  hex[8] = ((parseInt(hex[8]!, 16) & 0x3f) | 0x80).toString(16).padStart(2, '0');
  const h = hex.join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
