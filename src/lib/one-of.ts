/** Whether `v` is one of `list`'s strings, narrowing it to their type (the runtime lists of the API's string unions). */
export function isOneOf<T extends string>(list: readonly T[], v: unknown): v is T {
  return typeof v === 'string' && (list as readonly string[]).includes(v);
}
