/**
 * RPC metrics (SPEC §12.4): per-method counts by status code and latency histograms in
 * GetStatus (through the SDK), and the same plus the engine's counters as Prometheus text on
 * `GET /metrics` when metricsListen is configured.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { HexxlaClient } from '../../src/client/index.js';
import { defaultConfig, resolveConfig } from '../../src/server/index.js';
import { prometheusText, RpcMetrics } from '../../src/server/metrics.js';
import { useTmpDb } from '../harness/tmp-db.js';
import { startServer, stopAll } from './harness.js';

const tmp = useTmpDb();
const clients: HexxlaClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await stopAll();
});

async function connect(address: string): Promise<HexxlaClient> {
  const client = await HexxlaClient.connect(address);
  clients.push(client);
  return client;
}

const getCell = 'hexxladb.v1.CellService/GetCell';
const putCell = 'hexxladb.v1.CellService/PutCell';

describe('RPC metrics', () => {
  it('GetStatus counts calls per method and code, with a cumulative latency histogram', async () => {
    const { address } = await startServer(tmp);
    const client = await connect(address);
    for (let i = 0; i < 3; i++) await client.putCell({ coord: { q: i, r: 0 }, rawContent: `c${i}` });
    await client.getCell({ q: 0, r: 0 });
    await client.getCell({ q: 9, r: 9 }); // not there: NOT_FOUND on the wire
    await expect(client.putCell({ coord: { q: 0, r: 0 }, rawContent: 'x'.repeat(9000) }))
      .rejects.toMatchObject({ code: 'ValueTooLarge' });
    const s = await client.status();
    const byName = new Map(s.rpcMethods.map((m) => [m.method, m]));
    expect(byName.get(putCell)?.calls).toBe(4);
    expect(byName.get(putCell)?.codes).toEqual({ INVALID_ARGUMENT: 1, OK: 3 });
    expect(byName.get(getCell)?.codes).toEqual({ NOT_FOUND: 1, OK: 1 });
    expect(s.rpcInFlight).toBe(1); // the status call itself
    expect(s.rpcLatencyBoundsMs.length).toBeGreaterThan(5);
    for (const m of s.rpcMethods) {
      expect(m.latencyBuckets).toHaveLength(s.rpcLatencyBoundsMs.length + 1);
      expect(m.latencyBuckets.at(-1)).toBe(m.calls);
      for (let i = 1; i < m.latencyBuckets.length; i++) {
        expect(m.latencyBuckets[i]!).toBeGreaterThanOrEqual(m.latencyBuckets[i - 1]!);
      }
      expect(m.latencyMicrosSum).toBeGreaterThan(0);
      expect(m.latencyMicrosMax).toBeLessThanOrEqual(m.latencyMicrosSum);
    }
    const again = await client.status();
    expect(again.rpcMethods.find((m) => m.method === 'hexxladb.v1.AdminService/GetStatus')
      ?.codes).toEqual({ OK: 1 });
  });

  it('serves Prometheus text on GET /metrics, 404 elsewhere, and stops with the server', async () => {
    const { address, server } = await startServer(tmp, { metricsListen: '127.0.0.1:0' });
    const client = await connect(address);
    await client.putCell({ coord: { q: 1, r: 1 }, rawContent: 'a' });
    await client.getCell({ q: 1, r: 1 });
    const url = `http://127.0.0.1:${server.metricsPort}`;
    const res = await fetch(`${url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    const text = await res.text();
    expect(text).toContain(`hexxladb_rpc_calls_total{method="${putCell}",code="OK"} 1\n`);
    expect(text).toContain(`hexxladb_rpc_duration_seconds_count{method="${getCell}"} 1\n`);
    expect(text).toContain(`hexxladb_rpc_duration_seconds_bucket{method="${getCell}",le="+Inf"} 1\n`);
    expect(text).toMatch(/^hexxladb_commits_total [1-9]\d*$/m);
    expect(text).toMatch(/^hexxladb_wal_syncs_total [1-9]\d*$/m);
    expect(text).toContain('# TYPE hexxladb_rpc_duration_seconds histogram\n');
    expect((await fetch(`${url}/other`)).status).toBe(404);
    await server.shutdown(1000);
    await expect(fetch(`${url}/metrics`)).rejects.toThrow();
  });

  it('refuses a bad metricsListen, and a busy one with a typed error', async () => {
    expect(() => resolveConfig({ ...defaultConfig, metricsListen: 'nowhere' }))
      .toThrow(/metricsListen/);
    expect(() => resolveConfig({ ...defaultConfig, metricsListen: '127.0.0.1:70000' }))
      .toThrow(/metricsListen/);
    const { server } = await startServer(tmp, { metricsListen: '127.0.0.1:0' });
    await expect(startServer(tmp, { metricsListen: `127.0.0.1:${server.metricsPort}` }))
      .rejects.toMatchObject({ code: 'IoError' });
  });

  it('escapes label values in the text format', () => {
    const metrics = new RpcMetrics();
    metrics.record('odd"name\\x\ny', 'OK', 3);
    const text = prometheusText({ commitSeq: 0n, pageCount: 1, freePages: 0, walBytes: 0,
      commits: 0, walBytesWritten: 0, walSyncs: 0, walSyncMicros: 0, syncBatchMax: 0,
      checkpoints: 0, cachePages: 0, cacheHits: 0, cacheMisses: 0, pageReads: 0 },
    metrics.snapshot(), 0);
    expect(text).toContain('hexxladb_rpc_calls_total{method="odd\\"name\\\\x\\ny",code="OK"} 1');
    expect(text).toContain('le="0.0025"} 0'); // 3 ms: above the 2.5 ms bound
    expect(text).toContain('le="0.005"} 1');
  });
});
