/**
 * Old path, kept only for code under src/controller and test/controller (rewritten concurrently, not moved with
 * the rest): the world protocol now lives with its driver. New code imports ../drivers/sim/world-protocol.js.
 * Delete once nothing imports this path.
 */
export * from '../drivers/sim/world-protocol.js';
