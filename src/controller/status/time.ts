/** Status timestamps: RFC 3339 to the second, as Kubernetes writes them. */
export function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
