/**
 * A TCP relay in front of the harness's API server that a test can freeze:
 * frozen connections stop forwarding without closing (a dead NAT entry, a
 * pulled cable: the client sees nothing, no reset). Plus a kubeconfig that
 * goes through it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import yaml from 'js-yaml';

export interface Relay {
  port: number;
  /** A copy of `kubeconfig` whose server is this relay. */
  writeKubeconfig(kubeconfig: string, to: string): string;
  /** Connections open now stay open but carry nothing; new ones work. */
  freezeOpen(): void;
  /** Cut off: every connection, open or new, carries nothing (new ones are accepted, then silent). */
  cut(): void;
  /** Back: the frozen connections are closed (as after a long partition) and new ones work. */
  heal(): void;
  close(): void;
}

export async function startRelay(server: string): Promise<Relay> {
  const target = new URL(server);
  const open = new Set<net.Socket>();
  const frozen = new Set<net.Socket>();
  let cutOff = false;
  const relay = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    open.add(client);
    if (cutOff) frozen.add(client);
    client.on('data', (d) => !frozen.has(client) && upstream.write(d));
    upstream.on('data', (d) => !frozen.has(client) && client.write(d));
    const end = () => {
      open.delete(client);
      frozen.delete(client);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
  const port = (relay.address() as net.AddressInfo).port;
  return {
    port,
    writeKubeconfig(kubeconfig, to) {
      const cfg = yaml.load(readFileSync(kubeconfig, 'utf8')) as { clusters: { cluster: { server: string } }[] };
      for (const c of cfg.clusters) c.cluster.server = `https://127.0.0.1:${port}`;
      writeFileSync(to, yaml.dump(cfg));
      return to;
    },
    freezeOpen() {
      for (const s of open) frozen.add(s);
    },
    cut() {
      cutOff = true;
      for (const s of open) frozen.add(s);
    },
    heal() {
      cutOff = false;
      for (const s of [...frozen]) s.destroy();
      frozen.clear();
    },
    close() {
      for (const s of open) s.destroy();
      relay.close();
    },
  };
}
