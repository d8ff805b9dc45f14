import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { explainSshError, sshDockerOptions, SSH_ERROR_CODE } from './sshTransport.js';

/** Where and how to reach a Docker engine, resolved once from flag, config and environment. */
export interface DockerEndpoint {
  /** What the operator would recognise: unix:///var/run/docker.sock, tcp://h:2376, ssh://ops@db1 */
  url: string;
  /** Where the value came from, for the banner: "--docker-host", "config docker.host", "DOCKER_HOST", "default". */
  origin: string;
  options: Dockerode.DockerOptions;
  /** The endpoint's name among several (config endpoints, Docker contexts; "local" when alone). */
  name?: string;
  /** ssh:// only: the client config (-F) and key (-i) to use instead of ~/.ssh/config and the agent. */
  ssh?: { configFile?: string; identity?: string };
}

export class EndpointError extends Error {}

export const DEFAULT_SOCKET = '/var/run/docker.sock';

export interface EndpointInput {
  flag?: string;
  config?: { host?: string; tls?: { ca?: string; cert?: string; key?: string; verify?: boolean } };
  /** ssh:// only: the client config (-F) and key (-i). */
  ssh?: { configFile?: string; identity?: string };
  env: NodeJS.ProcessEnv;
}

/** Resolves the endpoint: --docker-host, then config docker.host, then DOCKER_HOST, then the default socket. */
export function resolveEndpoint(input: EndpointInput): DockerEndpoint {
  const { flag, config, env } = input;
  let url: string;
  let origin: string;
  if (flag) { url = flag; origin = '--docker-host'; }
  else if (config?.host) { url = config.host; origin = 'config docker.host'; }
  else if (env.DOCKER_HOST) { url = env.DOCKER_HOST; origin = 'DOCKER_HOST'; }
  else { url = `unix://${DEFAULT_SOCKET}`; origin = 'default'; }

  // Socket paths are taken literally (a URL parser would eat '#', '?' and '%').
  if (url.startsWith('/')) return { url: `unix://${url}`, origin, options: { socketPath: url, timeout: 0 } };
  if (url.startsWith('unix:')) {
    const raw = url.replace(/^unix:\/\//, '').replace(/^unix:/, '');
    if (!raw) throw new EndpointError(`${origin}: "${url}" has no socket path`);
    // Percent-decoded like the docker CLI does (Go's url.Parse); '#' and '?' stay part of the path.
    let socketPath = raw;
    try { socketPath = decodeURIComponent(raw); } catch { /* not an encoding: keep it literal */ }
    if (!socketPath.startsWith('/')) {
      throw new EndpointError(`${origin}: "${url}" needs an absolute socket path, e.g. unix:///var/run/docker.sock (three slashes)`);
    }
    return { url: `unix://${socketPath}`, origin, options: { socketPath, timeout: 0 } };
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new EndpointError(`${origin}: "${url}" is not a Docker endpoint (expected unix:///path, tcp://host:port or ssh://user@host)`);
  }
  // URL drops a port equal to the scheme's default (https://h:443): read it from the text instead.
  const explicitPort = /^[a-z]+:\/\/(?:[^@/]*@)?(?:\[[^\]]*\]|[^:/]*):(\d+)/i.exec(url)?.[1];
  const hostName = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  const timeout = 0; // streams (events, logs) must not time out; calls set their own.
  switch (parsed.protocol) {
    case 'tcp:':
    case 'http:':
    case 'https:': {
      const tlsVerify = config?.tls?.verify ?? (env.DOCKER_TLS_VERIFY !== undefined && env.DOCKER_TLS_VERIFY !== '' && env.DOCKER_TLS_VERIFY !== '0');
      const certDir = env.DOCKER_CERT_PATH;
      const useTls = parsed.protocol === 'https:' || tlsVerify || Boolean(config?.tls?.cert) || Boolean(certDir && parsed.port === '2376');
      const port = explicitPort ? Number(explicitPort) : useTls ? 2376 : 2375;
      const options: Dockerode.DockerOptions = { host: hostName, port, protocol: useTls ? 'https' : 'http', timeout };
      if (useTls) {
        const read = (explicit: string | undefined, name: string): Buffer | undefined => {
          const path = explicit ?? (certDir ? join(certDir, name) : undefined);
          if (!path) return undefined;
          try { return readFileSync(path); } catch (e) {
            throw new EndpointError(`${origin}: cannot read TLS file ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
          }
        };
        options.ca = read(config?.tls?.ca, 'ca.pem');
        options.cert = read(config?.tls?.cert, 'cert.pem');
        options.key = read(config?.tls?.key, 'key.pem');
      }
      return { url: `tcp://${parsed.hostname}:${port}`, origin, options };
    }
    case 'ssh:': {
      // The system's ssh (`ssh HOST docker system dial-stdio`, as the docker CLI does): port and
      // user only when given, otherwise ~/.ssh/config (or -F) decides, as with `ssh HOST`.
      const user = parsed.username ? decodeURIComponent(parsed.username) : undefined;
      return {
        url,
        origin,
        options: sshDockerOptions({ host: hostName, port: explicitPort ? Number(explicitPort) : undefined, user, ...input.ssh }),
        ...(input.ssh ? { ssh: input.ssh } : {}),
      };
    }
    default:
      throw new EndpointError(`${origin}: unsupported scheme "${parsed.protocol}" in "${url}" (use unix://, tcp:// or ssh://)`);
  }
}

/** Turns a connection failure into the banner text: what was tried and the likely fix. */
export function explainDockerError(endpoint: DockerEndpoint, err: unknown): { message: string; hint: string } {
  const e = err as NodeJS.ErrnoException & { statusCode?: number };
  const code = e?.code ?? '';
  const where = `${endpoint.url} (${endpoint.origin})`;
  const socket = endpoint.options.socketPath;
  switch (code) {
    case 'ENOENT':
      return {
        message: `Docker socket ${socket ?? endpoint.url} does not exist`,
        hint: endpoint.origin === 'default'
          ? 'is the Docker daemon installed and running? (systemctl start docker) — or set DOCKER_HOST'
          : `check ${endpoint.origin}; the default is unix://${DEFAULT_SOCKET}`,
      };
    case 'EACCES':
    case 'EPERM':
      return {
        message: `permission denied on ${socket ?? endpoint.url}`,
        hint: 'add yourself to the docker group (sudo usermod -aG docker $USER, then log in again) or run with sudo',
      };
    case 'ECONNREFUSED':
      return {
        message: `connection refused at ${where}`,
        hint: socket ? 'the Docker daemon is not running (systemctl start docker)' : 'is dockerd listening there? check DOCKER_HOST and the firewall',
      };
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return { message: `cannot resolve the host in ${where}`, hint: 'check DOCKER_HOST / --docker-host' };
    case 'ETIMEDOUT':
    case 'ESOCKETTIMEDOUT':
      return { message: `timed out talking to ${where}`, hint: 'the daemon is busy or unreachable; opsdeck keeps retrying' };
    case 'ECONNRESET':
    case 'EPIPE':
      return { message: `the connection to ${where} was reset`, hint: 'the daemon restarted or went away; reconnecting' };
    case SSH_ERROR_CODE:
      return { message: `ssh to ${where} failed: ${e.message}`, hint: explainSshError(e.message) };
    default: {
      const text = e?.message ? String(e.message).split('\n')[0] : String(err);
      return { message: `cannot talk to Docker at ${where}: ${text}`, hint: 'check that the daemon runs and DOCKER_HOST is right' };
    }
  }
}
