import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP proxy between the app's Knex and Postgres that a test controls: `cut()` drops every open
 * connection and refuses new ones (accepted and closed at once, so each attempt is counted), until
 * `restore()`. The app sees what an unreachable database looks like; the test's own connection
 * (straight to Postgres) keeps working.
 */
export class PostgresProxy {
  /** Connection attempts refused while cut. */
  refused = 0;
  private down = false;
  private readonly open = new Set<Socket>();
  private readonly waiters: { check: () => boolean; resolve: () => void }[] = [];

  private constructor(
    private readonly server: Server,
    private readonly target: { host: string; port: number },
  ) {}

  /** `port` 0 (default) picks a free one. */
  static async start(databaseUrl: string, port = 0): Promise<PostgresProxy> {
    const url = new URL(databaseUrl);
    const target = { host: url.hostname, port: Number(url.port || 5432) };
    let proxy: PostgresProxy | undefined;
    const server = createServer((client) => proxy?.accept(client));
    proxy = new PostgresProxy(server, target);
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    return proxy;
  }

  /** The database URL with the proxy in place of Postgres. */
  urlFor(databaseUrl: string): string {
    const url = new URL(databaseUrl);
    url.hostname = '127.0.0.1';
    url.port = String((this.server.address() as AddressInfo).port);
    return url.toString();
  }

  /** Postgres becomes unreachable for whoever connects through the proxy. */
  cut(): void {
    this.down = true;
    for (const socket of this.open) socket.destroy();
    this.open.clear();
  }

  restore(): void {
    this.down = false;
  }

  /** Resolves once `refused` reaches `count` (or `stop()` says there is no point waiting any more). */
  untilRefused(count: number, stop: () => boolean = () => false): Promise<void> {
    const check = () => this.refused >= count || stop();
    if (check()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ check, resolve }));
  }

  /** Re-checks the waiters (call when something `stop` looks at has changed). */
  poke(): void {
    for (const waiter of this.waiters.splice(0)) {
      if (waiter.check()) waiter.resolve();
      else this.waiters.push(waiter);
    }
  }

  async stop(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    if (this.down) {
      this.refused += 1;
      client.destroy();
      this.poke();
      return;
    }
    const upstream = createConnection(this.target);
    this.open.add(client).add(upstream);
    const close = () => {
      client.destroy();
      upstream.destroy();
      this.open.delete(client);
      this.open.delete(upstream);
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
    client.pipe(upstream).pipe(client);
  }
}
