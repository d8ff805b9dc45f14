// Docker going away and coming back, for real: the model talks to the real engine through a
// unix-socket relay the test can cut and restore.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DockerModel } from '../../src/model/dockerModel.js';
import { resolveEndpoint } from '../../src/docker/endpoint.js';
import { opsdeck, waitFor } from '../helpers/docker.js';

/** A relay from a socket of ours to the real daemon's; close() drops every connection. */
function relay(path: string): Promise<{ close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect('/var/run/docker.sock');
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const drop = () => { client.destroy(); upstream.destroy(); };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  return new Promise((resolve) => server.listen(path, () => resolve({
    close: () => new Promise<void>((done) => { for (const s of sockets) s.destroy(); server.close(() => done()); }),
  })));
}

describe('Docker unreachable, then back', () => {
  const dir = mkdtempSync(join(tmpdir(), 'opsdeck-relay-'));
  const sock = join(dir, 'docker.sock');
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('says what it tried and the fix, then reconnects by itself when the daemon comes back', async () => {
    const model = new DockerModel(resolveEndpoint({ flag: `unix://${sock}`, env: {} }), { refreshMs: 1000 });
    model.start();
    try {
      const down = await waitFor('a down state', () => (model.getSnapshot().conn.status === 'down' ? model.getSnapshot().conn : null));
      assert.match(down.message ?? '', /does not exist/);
      assert.match(down.hint ?? '', /--docker-host|DOCKER_HOST/);

      let r = await relay(sock);
      await waitFor('reconnected', () => model.getSnapshot().conn.status === 'up', 20_000);
      assert.ok(model.getSnapshot().containers.length > 0, 'containers listed after reconnect');

      await r.close();
      const lost = await waitFor('the loss noticed', () => (model.getSnapshot().conn.status !== 'up' ? model.getSnapshot().conn : null), 10_000);
      assert.ok(lost.message, 'the banner has a message');

      r = await relay(sock);
      await waitFor('reconnected again', () => model.getSnapshot().conn.status === 'up', 20_000);
      await r.close();
    } finally {
      model.stop();
    }
  });

  it('opsdeck status explains a missing socket and exits 1', async () => {
    const res = await opsdeck(['status', '--docker-host', `unix://${join(dir, 'nope.sock')}`]);
    assert.equal(res.code, 1);
    assert.match(res.stdout, /docker unix:\/\/.*nope\.sock DOWN: Docker socket .* does not exist/);
    assert.match(res.stdout, /fix: /);
    assert.match(res.stdout, /^host /m, 'host metrics are still shown');
  });

  it('a bad DOCKER_HOST is a usage error (exit 2) with the reason', async () => {
    const res = await opsdeck(['status'], { env: { DOCKER_HOST: 'ftp://nowhere' } });
    assert.equal(res.code, 2);
    assert.match(res.stderr, /DOCKER_HOST: unsupported scheme "ftp:"/);
  });
});
