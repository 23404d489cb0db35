/** The one rule for "this node serves the group": it is active and has nothing left to bring up but a mirror. */
import type { Decision } from '../decision-types.js';

export function isServing(d: Pick<Decision, 'role' | 'actions' | 'blocked'>): boolean {
  // Creating a mirror is housekeeping: the group serves without it (MirrorInSync says the rest).
  return d.role === 'active' && !d.blocked && d.actions.every((a) => a.type === 'createMirror');
}
