import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { resolveEndpoint } from '../../src/docker/endpoint.js';

const run = promisify(execFile);

/** Debian's docker client, matching the daemon the test environment starts. */
export const DOCKER = '/usr/bin/docker';
/** The demo stack's compose project for this test run (test/run.sh brings it up). */
export const PROJECT = process.env.OPSDECK_DEMO_PROJECT ?? 'opsdeck-demo';
export const REPO = new URL('../../../', import.meta.url).pathname;
export const BIN = `${REPO}bin/opsdeck.js`;

export const endpoint = () => resolveEndpoint({ env: process.env });

/** Runs the docker CLI with argv (never a shell) and returns stdout. */
export async function docker(...args: string[]): Promise<string> {
  const { stdout } = await run(DOCKER, args, { maxBuffer: 64 * 1024 * 1024 });
  return stdout.trim();
}

export async function inspect(id: string): Promise<DockerInspect> {
  return JSON.parse(await docker('inspect', id))[0] as DockerInspect;
}

export interface DockerInspect {
  Id: string;
  Name: string;
  RestartCount: number;
  State: { Status: string; StartedAt: string; ExitCode: number; Health?: { Status: string } };
  Config: { Image: string; Labels: Record<string, string> };
  HostConfig: { Memory: number };
}

/** Container ids of the demo project's service. */
export async function serviceId(service: string): Promise<string> {
  const out = await docker('ps', '-aq', '--no-trunc', '--filter', `label=com.docker.compose.project=${PROJECT}`, '--filter', `label=com.docker.compose.service=${service}`);
  const id = out.split('\n')[0];
  if (!id) throw new Error(`no container for service ${service} in project ${PROJECT}`);
  return id;
}

/** Polls until fn returns a truthy value or the timeout passes (then throws with the last value). */
export async function waitFor<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 15_000, everyMs = 200): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      last = await fn();
      if (last) return last as NonNullable<T>;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)?.slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Containers a test starts itself: labelled, and removed by removeTestContainers. */
export const TEST_LABEL = 'opsdeck.test=1';
export async function runTestContainer(name: string, args: string[], image = 'busybox:1.36', cmd: string[] = ['sleep', '600']): Promise<string> {
  return docker('run', '-d', '--name', name, '--label', TEST_LABEL, '--label', `opsdeck.test.run=${process.pid}`, ...args, image, ...cmd);
}
export async function removeTestContainers(): Promise<void> {
  const ids = await docker('ps', '-aq', '--filter', `label=opsdeck.test.run=${process.pid}`);
  if (ids) await docker('rm', '-f', '-v', ...ids.split('\n'));
}

/** Runs the opsdeck CLI; never throws on a non-zero exit. */
export async function opsdeck(args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(BIN, args, { env: { ...process.env, ...opts.env }, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number | string; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : -1, stdout: err.stdout ?? '', stderr: err.stderr ?? String(e) };
  }
}

/**
 * busybox `sh -c` script: about 20,000 lines a second (1,000-line batches paced on the host's
 * /proc/uptime) for `seconds`, lines `flood line 1`…, then `flood done` and idle. The logs e2e
 * test and the logs bench use it.
 */
export function floodScript(seconds = 20): string {
  return 'read u _ < /proc/uptime; s=${u%.*}${u#*.}; i=0; '
    + `while [ $i -lt ${seconds * 20} ]; do seq $((i*1000+1)) $((i*1000+1000)) | sed "s/^/flood line /"; i=$((i+1)); `
    + 'while :; do read u _ < /proc/uptime; n=${u%.*}${u#*.}; [ $n -ge $((s+i*5)) ] && break; usleep 5000; done; done; '
    + 'echo flood done; sleep 3600';
}
