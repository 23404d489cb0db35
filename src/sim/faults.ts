/**
 * Old path, kept only for test/controller (rewritten concurrently): the Fault messages are part of the world
 * protocol now. New code imports ../drivers/sim/world-faults.js. Delete once nothing imports this path.
 */
export type * from '../drivers/sim/world-faults.js';
