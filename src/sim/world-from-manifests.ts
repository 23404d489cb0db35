/**
 * Old path, kept only for the agent's in-process driver choice in src/controller (rewritten concurrently).
 * New code imports ./world/world-from-manifests.js. Delete once nothing imports this path.
 */
export * from './world/world-from-manifests.js';
