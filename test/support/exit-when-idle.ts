/**
 * End the test process explicitly once its event loop is idle.
 *
 * Node 20 can spin at 100 % CPU forever in its exit-time handle cleanup
 * (node::Environment::CleanupHandles, nodejs/node#47748) after a process used
 * gRPC/HTTP2 or many sockets — seen here after the etcd end-to-end file had
 * passed: the results were out, the process never ended, `make test` hung.
 * process.exit() skips that cleanup. Call this from an `after` hook, so the
 * test runner's own beforeExit handler (registered earlier) finishes its report
 * first; the exit code is the runner's (process.exitCode).
 */
let armed = false;

export function exitWhenIdle(graceMs = 1000): void {
  if (armed) return;
  armed = true;
  process.once('beforeExit', () => {
    // A referenced timer: the runner's report (written meanwhile) goes out, then the process ends.
    setTimeout(() => process.exit(), graceMs);
  });
}
