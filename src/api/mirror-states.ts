/** DataKeeper mirror states (docs/spec/seed003-datakeeper.md §4.1) as Mirror.status.state names them: the one table. */
export const MIRROR_STATES: Readonly<Record<string, string>> = {
  '-1': 'Invalid',
  '0': 'None',
  '1': 'Mirroring',
  '2': 'Resyncing',
  '3': 'Broken',
  '4': 'Paused',
  '5': 'ResyncPending',
};

/** The API name of a DataKeeper state number (undefined for a number DataKeeper does not define). */
export function mirrorStateOf(code: number): string | undefined {
  return MIRROR_STATES[String(code)];
}

/** How far from Mirroring a state is: a source with several targets reports its worst one. */
const DISTANCE: Readonly<Record<string, number>> = { '1': 0, '2': 1, '5': 2, '4': 3, '3': 4 };

/** The worst of several targets' states (Mirroring only when every target is; 0 when there is none). */
export function worstMirrorState(states: Iterable<number>): number {
  let worst: number | undefined;
  for (const s of states) if (worst === undefined || (DISTANCE[String(s)] ?? 5) > (DISTANCE[String(worst)] ?? 5)) worst = s;
  return worst ?? 0;
}
