/**
 * Old path, kept only for test/controller (rewritten concurrently). New code imports ./world/world.js.
 * Delete once nothing imports this path.
 */
export * from './world/world.js';
