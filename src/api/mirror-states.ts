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
