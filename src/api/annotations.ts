/** The annotations operators' requests travel in (see src/controller/requests.ts for what each means). */
export const ANNOTATIONS = {
  switchover: 'winha.io/switchover',
  maintenance: 'winha.io/maintenance',
  maintenanceNodes: 'winha.io/maintenance-nodes',
} as const;
