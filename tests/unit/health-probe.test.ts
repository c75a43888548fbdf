import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { probeHealth } from '../../src/adapters/health-probe.js';
import type { HttpConfig } from '../../src/config/config.js';

const listener = (port: number, host = '127.0.0.1'): HttpConfig => ({
  port,
  host,
  hooks: { github: undefined, gitlab: undefined, generic: undefined },
  publicUrl: undefined,
});

describe('otto health: the image HEALTHCHECK asks /healthz', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise((r) => server?.close(r) ?? r(undefined));
    server = undefined;
  });

  const serve = async (status: number, host = '127.0.0.1') => {
    server = createServer((req, res) => {
      res.writeHead(req.url === '/healthz' ? status : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: status === 200 ? 'ok' : 'unhealthy' }));
    });
    await new Promise<void>((r) => server!.listen(0, host, r));
    return (server.address() as AddressInfo).port;
  };

  it('passes without an http listener, and says why', async () => {
    const p = await probeHealth(undefined);
    expect(p.code).toBe(0);
    expect(p.line).toContain('No http: listener');
  });

  it('passes on 200 and fails on 503, with the body', async () => {
    expect(await probeHealth(listener(await serve(200)))).toMatchObject({ code: 0 });
    await new Promise((r) => server!.close(r));
    const p = await probeHealth(listener(await serve(503)));
    expect(p.code).toBe(1);
    expect(p.line).toContain('503');
    expect(p.line).toContain('unhealthy');
  });

  it('asks loopback when the listener binds every address', async () => {
    const p = await probeHealth(listener(await serve(200), '0.0.0.0'));
    expect(p.code).toBe(0);
    expect(p.line).toContain('http://127.0.0.1:');
  });

  it('fails when nothing answers', async () => {
    const port = await serve(200);
    await new Promise((r) => server!.close(r));
    server = undefined;
    const p = await probeHealth(listener(port));
    expect(p.code).toBe(1);
    expect(p.line).toContain('no answer');
  });

  it('passes for a standby (no listener) while another host holds a current lease, not after it expires', async () => {
    const port = await serve(200);
    await new Promise((r) => server!.close(r));
    server = undefined;
    const dir = mkdtempSync(join(tmpdir(), 'otto-probe-'));
    const db = new Database(join(dir, 'otto.db'));
    db.exec(
      'CREATE TABLE leases (name TEXT PRIMARY KEY, holder TEXT, hostname TEXT, pid INTEGER, since INTEGER, expires_at INTEGER)',
    );
    const hold = db.prepare(
      "INSERT OR REPLACE INTO leases VALUES ('active', 'h', 'other-host', 7, 0, ?)",
    );
    hold.run(Date.now() + 60_000);
    const standby = await probeHealth(listener(port), dir);
    expect(standby.code).toBe(0);
    expect(standby.line).toContain('standby: Otto on other-host is the active one');
    hold.run(Date.now() - 1);
    expect((await probeHealth(listener(port), dir)).code).toBe(1);
    db.close();
  });
});
