/**
 * The service's operational behaviour (SPEC §12.1, §12.3, §12.4).
 *
 * Goal: roles, health, reflection, cancellation and shutdown work as documented.
 * Method: real servers on 127.0.0.1:0 (temporary databases; the shutdown test opens its own on
 * disk so that the server owns and closes it), grpc-js clients; the log is captured in memory.
 * Properties:
 *   - with tokens configured: no/unknown token → UNAUTHENTICATED, a weaker role →
 *     PERMISSION_DENIED, a sufficient role succeeds; tokens never appear in the log;
 *   - unregistered methods (engine features not served yet) answer UNIMPLEMENTED;
 *   - AdminService GetStatus / Checkpoint / HealthCheck report the database;
 *   - grpc.health.v1 says SERVING; reflection lists the hexxladb services;
 *   - a cancelled stream stops on the server (logged CANCELLED, nothing left in flight), and so
 *     does a stream whose deadline passes while the client is not reading;
 *   - shutdown lets an in-flight write finish, closes the database, and the write survives.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { service as healthService } from 'grpc-health-check';
import { afterEach, describe, expect, it } from 'vitest';
import { AdminService, GetStatusResponseSchema, HealthCheckResponseSchema } from
  '../../gen/hexxladb/v1/admin_service_pb.js';
import { CellService } from '../../gen/hexxladb/v1/cell_service_pb.js';
import { ChangelogService } from '../../gen/hexxladb/v1/changelog_service_pb.js';
import { open } from '../../src/index.js';
import { HexxlaServer, createLogger, resolveConfig } from '../../src/server/index.js';
import { useTmpDb } from '../harness/tmp-db.js';
import { as, clientFor, failure, startServer, stopAll } from './harness.js';

const tmp = useTmpDb();
afterEach(stopAll);

const tokens = {
  read: 'read-token-0123456789abcdef',
  write: 'write-token-0123456789abcdef',
  admin: 'admin-token-0123456789abcdef',
};
const tokenConfig = { tokens: Object.entries(tokens).map(([role, token]) =>
  ({ role: role as 'read' | 'write' | 'admin', token })) };
const aCell = { coord: { q: 0, r: 0 }, rawContent: 'x' };

describe('auth roles', () => {
  it('enforces read, write and admin', async () => {
    const { address, logs } = await startServer(tmp, tokenConfig);
    const cells = clientFor(CellService, address);
    const admin = clientFor(AdminService, address);
    const none = await failure(cells.getCell!({ coord: { q: 0, r: 0 } }));
    expect(none.code).toBe(grpc.status.UNAUTHENTICATED);
    const unknown = await failure(cells.getCell!({ coord: { q: 0, r: 0 } },
      { token: 'not-a-configured-token' }));
    expect(unknown.code).toBe(grpc.status.UNAUTHENTICATED);
    const readPut = await failure(cells.putCell!({ cell: aCell }, { token: tokens.read }));
    expect(readPut.code).toBe(grpc.status.PERMISSION_DENIED);
    await cells.putCell!({ cell: aCell }, { token: tokens.write });
    await cells.getCell!({ coord: { q: 0, r: 0 } }, { token: tokens.read });
    const writeCheckpoint = await failure(admin.checkpoint!({}, { token: tokens.write }));
    expect(writeCheckpoint.code).toBe(grpc.status.PERMISSION_DENIED);
    await admin.checkpoint!({}, { token: tokens.admin });
    await admin.getStatus!({}, { token: tokens.read });
    const log = logs.join('');
    expect(log).toContain('"code":"PERMISSION_DENIED"');
    for (const t of [...Object.values(tokens), 'not-a-configured-token']) {
      expect(log).not.toContain(t);
    }
  });
});

describe('AdminService and unregistered methods', () => {
  it('reports status and the health check; leaves missing features unimplemented', async () => {
    const { address, server } = await startServer(tmp);
    const cells = clientFor(CellService, address);
    const admin = clientFor(AdminService, address);
    await cells.putCell!({ cell: aCell });
    const status = as(GetStatusResponseSchema, await admin.getStatus!({}));
    expect(status.mvcc).toBe(true);
    expect(status.header?.commitSeq).toBe(1n);
    expect(status.pageSizeBytes).toBe(server.db.pageSize());
    await admin.checkpoint!({});
    const check = as(HealthCheckResponseSchema, await admin.healthCheck!({}));
    expect(check.ok).toBe(true);
    expect(check.errorCount).toBe(0n);
    // The harness database has no changelog: the service answers, and says so.
    const changelog = clientFor(ChangelogService, address);
    const read = await failure(changelog.readChangelogSince!({}));
    expect(read.code).toBe(grpc.status.FAILED_PRECONDITION);
  });
});

describe('health and reflection', () => {
  it('serves grpc.health.v1 and lists services by reflection', async () => {
    const { address } = await startServer(tmp);
    const Health = grpc.makeGenericClientConstructor(healthService, 'Health');
    const health = new Health(address, grpc.credentials.createInsecure());
    const res = await new Promise<{ status: string }>((resolve, reject) =>
      (health as unknown as { check: Function }).check({ service: 'hexxladb.v1.CellService' },
        (err: Error | null, r: { status: string }) => (err ? reject(err) : resolve(r))));
    expect(res.status).toBe('SERVING');
    health.close();

    const protoDir = path.join(path.dirname(require_resolve('@grpc/reflection')), '../proto');
    const def = protoLoader.loadSync('grpc/reflection/v1/reflection.proto',
      { includeDirs: [protoDir], keepCase: true });
    const pkg = grpc.loadPackageDefinition(def) as unknown as
      { grpc: { reflection: { v1: { ServerReflection: grpc.ServiceClientConstructor } } } };
    const reflection = new pkg.grpc.reflection.v1.ServerReflection(address,
      grpc.credentials.createInsecure());
    const call = (reflection as unknown as { ServerReflectionInfo: () => grpc.ClientDuplexStream<
      object, { list_services_response?: { service: { name: string }[] } }> })
      .ServerReflectionInfo();
    const names = await new Promise<string[]>((resolve, reject) => {
      call.on('data', (msg) => {
        const services = msg.list_services_response?.service ?? [];
        resolve(services.map((s: { name: string }) => s.name));
        call.end();
      });
      call.on('error', reject);
      call.write({ list_services: '' });
    });
    reflection.close();
    expect(names.sort()).toEqual(['hexxladb.v1.AdminService', 'hexxladb.v1.CellService',
      'hexxladb.v1.ChangelogService', 'hexxladb.v1.MvccService']);
  });
});

/** The directory of an installed package's main file (ESM-safe require.resolve). */
function require_resolve(pkg: string): string {
  return new URL(import.meta.resolve(pkg)).pathname;
}

describe('cancellation and shutdown', () => {
  it('stops a stream when the client cancels', async () => {
    const { address, server, logs } = await startServer(tmp);
    const cells = clientFor(CellService, address);
    await server.db.update((tx) => {
      // ~22 MB of walk output: far more than the transport buffers, even on a fast machine.
      for (let q = -30; q <= 30; q++) {
        for (let r = -30; r <= 30; r++) {
          tx.putCell({ coord: { q, r }, rawContent: 'x'.repeat(500) });
        }
      }
    });
    const stream = cells.streams.walkRing!({ center: { q: 0, r: 0 }, radius: 20 });
    let received = 0;
    await new Promise<void>((resolve) => {
      stream.on('data', () => {
        if (++received === 1) stream.cancel();
      });
      stream.on('error', () => resolve());
      stream.on('end', () => resolve());
    });
    // The server side finishes asynchronously: wait until its log line is written.
    for (let i = 0; i < 200 && !logs.join('').includes('WalkRing'); i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const line = logs.find((l) => l.includes('CellService/WalkRing'));
    expect(line).toContain('"code":"CANCELLED"');
    expect(received).toBeLessThan(1261); // 41 x 41 cells exist, a radius-20 walk sees 1261
  });

  it('stops a stream whose deadline passes while the client does not read', async () => {
    const { address, server, logs } = await startServer(tmp);
    const cells = clientFor(CellService, address);
    await server.db.update((tx) => {
      // ~22 MB of walk output: far more than the transport buffers, even on a fast machine.
      for (let q = -30; q <= 30; q++) {
        for (let r = -30; r <= 30; r++) {
          tx.putCell({ coord: { q, r }, rawContent: 'y'.repeat(6000) });
        }
      }
    });
    const stream = cells.streams.walkRing!({ center: { q: 0, r: 0 }, radius: 30 },
      { deadlineMs: 300 });
    stream.pause(); // flow control fills up: the server waits for 'drain' until the deadline
    const code = await new Promise<number>((resolve) => stream.on('error',
      (e: grpc.ServiceError) => resolve(e.code)));
    expect(code).toBe(grpc.status.DEADLINE_EXCEEDED);
    for (let i = 0; i < 200 && !logs.join('').includes('WalkRing'); i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(logs.find((l) => l.includes('CellService/WalkRing')))
      .toMatch(/"code":"(DEADLINE_EXCEEDED|CANCELLED)"/);
    expect(server.inflightCalls).toBe(0);
  });

  it('drains an in-flight write, then closes the database it opened', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hexxla-serve-'));
    try {
      const databasePath = path.join(dir, 'nested', 'db.hexxla');
      const logs: string[] = [];
      const server = await HexxlaServer.start({
        config: resolveConfig({ databasePath, listen: '127.0.0.1:0' }),
        logger: createLogger('info', { write: (l: string) => void logs.push(l) }),
      });
      const cells = clientFor(CellService, `127.0.0.1:${server.port}`);
      await cells.getCell!({ coord: { q: 4, r: 2 } }).catch(() => undefined); // connect first
      const write = cells.putCell!({ cell: { coord: { q: 4, r: 2 }, rawContent: 'kept' } });
      while (server.inflightCalls === 0) await new Promise((r) => setImmediate(r));
      const stopped = server.shutdown(5000);
      await write;
      await stopped;
      expect(server.db.storage.isClosed).toBe(true);
      const db = await open(databasePath);
      try {
        expect(db.getCell({ q: 4, r: 2 })?.rawContent).toBe('kept');
        expect(db.check().ok).toBe(true);
      } finally {
        await db.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
