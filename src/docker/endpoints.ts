import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Config, EndpointConfig } from '../../config/schema.js';
import { EndpointError, resolveEndpoint, type DockerEndpoint } from './endpoint.js';

/**
 * The Docker engines one opsdeck talks to: the config's `endpoints:` (in order), then the Docker
 * CLI's contexts, each under its own name. Without either, the one local endpoint as before
 * (--docker-host, docker.host, DOCKER_HOST, the default socket), named "local".
 */
export interface EndpointList {
  endpoints: DockerEndpoint[];
  /** The one selected first: --endpoint / OPSDECK_ENDPOINT, else the CLI's current context, else the first. */
  current: string;
  /** Contexts that could not be read, one line each (shown by `opsdeck config`, never fatal). */
  notes: string[];
  /** --endpoint all: the cockpit opens on the all-hosts Overview (commands refuse it). */
  all?: boolean;
}

export interface DockerContext {
  name: string;
  host: string;
  skipTlsVerify: boolean;
  /** Directory holding ca.pem, cert.pem, key.pem when the context has TLS material. */
  tlsDir: string | null;
  description: string;
}

/** $DOCKER_CONFIG, else ~/.docker — where the Docker CLI keeps config.json and contexts/. */
export function dockerConfigDir(env: NodeJS.ProcessEnv): string {
  return env.DOCKER_CONFIG || join(env.HOME || homedir(), '.docker');
}

/**
 * The Docker CLI's contexts, as `docker context ls` knows them: contexts/meta/<sha256(name)>/meta.json
 * with the docker endpoint's Host, TLS files under contexts/tls/<sha256(name)>/docker/.
 */
export function readDockerContexts(dir: string): { contexts: DockerContext[]; current: string | null; notes: string[] } {
  const notes: string[] = [];
  let current: string | null = null;
  try {
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { currentContext?: string };
    if (typeof cfg.currentContext === 'string' && cfg.currentContext) current = cfg.currentContext;
  } catch { /* no config.json: no current context */ }
  const metaDir = join(dir, 'contexts', 'meta');
  let entries: string[] = [];
  try { entries = readdirSync(metaDir); } catch { return { contexts: [], current, notes }; }
  const contexts: DockerContext[] = [];
  for (const id of entries.sort()) {
    const file = join(metaDir, id, 'meta.json');
    try {
      const meta = JSON.parse(readFileSync(file, 'utf8')) as {
        Name?: string; Metadata?: { Description?: string };
        Endpoints?: { docker?: { Host?: string; SkipTLSVerify?: boolean } };
      };
      const host = meta.Endpoints?.docker?.Host;
      if (!meta.Name || !host) { notes.push(`docker context in ${file}: no name or docker host, skipped`); continue; }
      const tlsDir = join(dir, 'contexts', 'tls', id, 'docker');
      contexts.push({
        name: meta.Name, host, skipTlsVerify: Boolean(meta.Endpoints?.docker?.SkipTLSVerify),
        tlsDir: existsSync(tlsDir) ? tlsDir : null, description: meta.Metadata?.Description ?? '',
      });
    } catch (e) {
      notes.push(`docker context ${file}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  return { contexts, current, notes };
}

/** The directory name the Docker CLI gives a context: the sha256 of its name. */
export function contextId(name: string): string {
  return createHash('sha256').update(name).digest('hex');
}

function fromConfig(e: EndpointConfig, env: NodeJS.ProcessEnv): DockerEndpoint {
  const ssh = e.ssh ? { configFile: e.ssh.config, identity: e.ssh.identity } : undefined;
  const resolved = resolveEndpoint({ config: { host: e.host, tls: e.tls }, ...(ssh ? { ssh } : {}), env: tlsEnvFree(env) });
  return { ...resolved, name: e.name, origin: `config endpoints.${e.name}` };
}

function fromContext(c: DockerContext, env: NodeJS.ProcessEnv): DockerEndpoint {
  const tls = c.tlsDir
    ? { ca: join(c.tlsDir, 'ca.pem'), cert: join(c.tlsDir, 'cert.pem'), key: join(c.tlsDir, 'key.pem'), verify: !c.skipTlsVerify }
    : undefined;
  // A context's files may be partial (a CA only): pass only those that exist.
  if (tls) for (const k of ['ca', 'cert', 'key'] as const) if (!existsSync(tls[k])) delete (tls as Record<string, unknown>)[k];
  const resolved = resolveEndpoint({ config: { host: c.host, tls }, env: tlsEnvFree(env) });
  return { ...resolved, name: c.name, origin: `docker context ${c.name}` };
}

/** A named endpoint's TLS comes from its own entry, never from DOCKER_TLS_VERIFY/DOCKER_CERT_PATH meant for another. */
function tlsEnvFree(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { DOCKER_TLS_VERIFY: _v, DOCKER_CERT_PATH: _p, ...rest } = env;
  return rest;
}

export interface ResolveEndpointsInput {
  /** --docker-host: one endpoint, nothing else (the way it always was). */
  flag?: string;
  /** --endpoint / OPSDECK_ENDPOINT: which one is current. */
  select?: string;
  config: Pick<Config, 'docker' | 'endpoints'>;
  env: NodeJS.ProcessEnv;
}

/** Throws EndpointError (a usage error: exit 2) for a bad entry or an unknown --endpoint. */
export function resolveEndpoints(input: ResolveEndpointsInput): EndpointList {
  const { flag, config, env } = input;
  const select = input.select ?? (env.OPSDECK_ENDPOINT || undefined);
  if (flag) {
    const only = { ...resolveEndpoint({ flag, config: config.docker, env }), name: 'local' };
    if (select && select !== 'local' && select !== 'all') throw new EndpointError(`--endpoint ${select}: with --docker-host there is one endpoint, "local"`);
    return { endpoints: [only], current: 'local', notes: [] };
  }
  const list: DockerEndpoint[] = [];
  const notes: string[] = [];
  for (const e of config.endpoints) {
    try { list.push(fromConfig(e, env)); } catch (err) {
      if (err instanceof EndpointError) throw new EndpointError(err.message.replace(/^[^:]*:/, `endpoints.${e.name}:`));
      throw err;
    }
  }
  // The local engine (docker.host, DOCKER_HOST, the socket) leads when no endpoint is configured.
  if (list.length === 0) list.push({ ...resolveEndpoint({ config: config.docker, env }), name: 'local' });
  let currentContext: string | null = null;
  if (config.docker.contexts !== false) {
    const read = readDockerContexts(dockerConfigDir(env));
    notes.push(...read.notes);
    currentContext = read.current;
    for (const c of read.contexts) {
      // "default" is the local engine, already listed; a configured name wins over a context's.
      if (c.name === 'default' || list.some((e) => e.name === c.name)) continue;
      try { list.push(fromContext(c, env)); } catch (err) { notes.push(`docker context ${c.name}: ${(err as Error).message}`); }
    }
  }
  const names = list.map((e) => e.name!);
  let current = names[0]!;
  if (select === 'all') return { endpoints: list, current, notes, all: true };
  if (select) {
    if (!names.includes(select)) throw new EndpointError(`unknown endpoint "${select}" (known: ${names.join(', ')})`);
    current = select;
  } else if (currentContext && names.includes(currentContext) && !env.DOCKER_HOST && !config.docker.host && config.endpoints.length === 0) {
    // Like the docker CLI: its current context is where commands go unless something says otherwise.
    current = currentContext;
  }
  return { endpoints: list, current, notes };
}
