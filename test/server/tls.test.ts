/**
 * TLS and mutual TLS (SPEC §12.3).
 *
 * Goal: with TLS configured the server speaks only TLS, and with a client CA it requires a
 * client certificate signed by that CA.
 * Method: a throw-away CA, server and client certificates made with the openssl command line
 * (EC P-256, valid one day) in a temporary directory; a real server on 127.0.0.1:0.
 * Properties: a TLS client that trusts the CA and presents its certificate is served; a client
 * without a certificate is refused; a plaintext client is refused.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { AdminService } from '../../gen/hexxladb/v1/admin_service_pb.js';
import { useTmpDb } from '../harness/tmp-db.js';
import { clientFor, failure, startServer, stopAll } from './harness.js';

const tmp = useTmpDb();
const dirs: string[] = [];
afterEach(async () => {
  await stopAll();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const hasOpenssl = ((): boolean => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** Makes ca.crt, server.{crt,key} (for 127.0.0.1) and client.{crt,key} in a fresh directory. */
function makeCertificates(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hexxla-tls-'));
  dirs.push(dir);
  const ssl = (...args: string[]): void => void execFileSync('openssl', args,
    { cwd: dir, stdio: 'ignore' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1',
    '-subj', '/CN=hexxla-test-ca');
  fs.writeFileSync(path.join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  for (const who of ['server', 'client']) {
    ssl('req', ...ec, '-keyout', `${who}.key`, '-out', `${who}.csr`, '-subj', `/CN=${who}`);
    ssl('x509', '-req', '-in', `${who}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key',
      '-CAcreateserial', '-out', `${who}.crt`, '-days', '1',
      ...(who === 'server' ? ['-extfile', 'server.ext'] : []));
  }
  return dir;
}

describe('TLS', () => {
  it.skipIf(!hasOpenssl)('requires a client certificate signed by the client CA', async () => {
    const dir = makeCertificates();
    const file = (name: string): string => path.join(dir, name);
    const { address } = await startServer(tmp, { tls: { certFile: file('server.crt'),
      keyFile: file('server.key'), clientCaFile: file('ca.crt') } });
    const read = (name: string): Buffer => fs.readFileSync(file(name));
    const mutual = grpc.credentials.createSsl(read('ca.crt'), read('client.key'),
      read('client.crt'));
    const ok = clientFor(AdminService, address, {}, mutual);
    await expect(ok.getStatus!({})).resolves.toMatchObject({ mvcc: true });
    const noCert = clientFor(AdminService, address, {}, grpc.credentials.createSsl(read('ca.crt')));
    expect((await failure(noCert.getStatus!({}))).code).toBe(grpc.status.UNAVAILABLE);
    const plain = clientFor(AdminService, address);
    expect((await failure(plain.getStatus!({}))).code).toBe(grpc.status.UNAVAILABLE);
  });
});
