import http from 'node:http';
import { spawn, type ChildProcess } from 'node:child_process';
import { Duplex } from 'node:stream';
import type Dockerode from 'dockerode';

/**
 * Docker over SSH the way the docker CLI does it: each HTTP connection is one `ssh HOST -- docker
 * system dial-stdio` child, and HTTP goes over its stdin/stdout. Going through the system's ssh
 * (not an SSH library) means the operator's ~/.ssh/config, known_hosts, agent, ProxyJump and
 * ControlMaster all apply exactly as they do for `ssh HOST` by hand.
 */

/** Where to ssh to; everything but host is optional and left to the ssh config when absent. */
export interface SshTarget {
  user?: string;
  host: string;
  port?: number;
  /** An ssh_config file to use instead of ~/.ssh/config (ssh -F). */
  configFile?: string;
  /** A private key file (ssh -i). */
  identity?: string;
  /** More `-o` options, each "Key=Value" (e.g. "ProxyJump=bastion"). */
  extraOptions?: string[];
}

/** The `code` of every error that comes from ssh itself (explainDockerError keys on it). */
export const SSH_ERROR_CODE = 'ESSH';

export interface SshError extends Error {
  code: typeof SSH_ERROR_CODE;
  /** ssh's last stderr line (the message), and its exit status when it exited. */
  stderr: string;
  exitCode: number | null;
}

/**
 * The ssh argv for one dial-stdio connection. BatchMode: a cockpit cannot answer a password or
 * passphrase prompt, so ssh must fail instead of asking. No StrictHostKeyChecking override: the
 * operator's known_hosts decides. -T: a RequestTTY in the user's config would corrupt the byte stream.
 */
export function sshArgs(t: SshTarget): string[] {
  const args = ['-T', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=10', '-o', 'ServerAliveInterval=15'];
  if (t.configFile) args.push('-F', t.configFile);
  if (t.identity) args.push('-i', t.identity);
  if (t.port !== undefined) args.push('-p', String(t.port));
  if (t.user) args.push('-l', t.user);
  for (const o of t.extraOptions ?? []) args.push('-o', o);
  // `--` so that a host starting with '-' can never be read as an option.
  args.push('--', t.host, 'docker', 'system', 'dial-stdio');
  return args;
}

/** The likely fix for ssh's last stderr line, for the banner's hint. */
export function explainSshError(stderrLine: string): string {
  const s = stderrLine.toLowerCase();
  if (/host key verification failed|remote host identification has changed|no \S+ host key is known/.test(s)) {
    return 'add the host to known_hosts (ssh HOST once by hand) — opsdeck never accepts host keys itself';
  }
  // dial-stdio ran on the remote but could not reach the engine there: before "permission denied",
  // which here is the socket's, not ssh's.
  if (/failed to open the raw stream|dial unix|cannot connect to the docker daemon|is the docker daemon running/.test(s)) {
    return /permission denied/.test(s)
      ? "the ssh user cannot use the remote's Docker socket: add it to the docker group there"
      : 'the Docker daemon on the remote is not running (or DOCKER_HOST there points elsewhere)';
  }
  if (/permission denied|too many authentication failures|no more authentication methods/.test(s)) {
    return 'ssh-add your key or set identity in the endpoint (opsdeck runs ssh with BatchMode: no prompts)';
  }
  if (/docker: (command )?not found|docker: no such file|unknown command|dial-stdio/.test(s)) {
    return 'the remote needs the docker CLI (docker system dial-stdio) on the PATH of a non-interactive ssh session';
  }
  if (/could not resolve hostname|name or service not known|temporary failure in name resolution/.test(s)) {
    return 'check the host name in the endpoint (or its HostName in ~/.ssh/config)';
  }
  if (/connection refused/.test(s)) return 'no sshd answers on that host and port: check the port and that sshd runs';
  if (/timed out|no route to host|network is unreachable|connection closed|connection reset|broken pipe|timeout/.test(s)) {
    return 'the network to the host is down or filtered; opsdeck keeps retrying';
  }
  if (/enoent|ssh: not found/.test(s)) return 'install the OpenSSH client (apt-get install openssh-client)';
  return 'run the same ssh by hand (ssh HOST docker system dial-stdio) to see what it needs';
}

/** Keeps the last bytes of ssh's stderr: only the end carries the reason. */
const STDERR_KEEP = 4096;

/** The last non-empty line of ssh's stderr. */
function lastLine(text: string): string {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  return lines[lines.length - 1] ?? '';
}

function sshError(message: string, stderr: string, exitCode: number | null): SshError {
  return Object.assign(new Error(message), { code: SSH_ERROR_CODE, stderr, exitCode }) as SshError;
}

/**
 * Bounds how many ssh handshakes run at once for one target. sshd drops new connections at random
 * once MaxStartups (default 10) are unauthenticated at the same time, and a cockpit opening a dozen
 * log streams would hit that. A connection counts as handshaking until its first response byte
 * (or its end): ssh gives no earlier sign, so this is a bound on bursts, not an exact count.
 */
export class HandshakeGate {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(readonly limit: number) {}

  /** Runs start now or when a slot frees; returns a cancel for a start that has not run yet. */
  enter(start: () => void): () => void {
    if (this.active < this.limit) { this.active++; start(); return () => {}; }
    const run = () => { this.active++; start(); };
    this.waiting.push(run);
    return () => { const i = this.waiting.indexOf(run); if (i >= 0) this.waiting.splice(i, 1); };
  }

  leave(): void {
    this.active--;
    this.waiting.shift()?.();
  }

  get queued(): number { return this.waiting.length; }
}

/**
 * A net.Socket stand-in over one ssh child's stdin/stdout: what http.Agent and http.ClientRequest
 * use of a socket (ref/unref, setTimeout, setKeepAlive, setNoDelay, destroy). The child starts when
 * the gate lets it; writes wait for it.
 *
 * Ends: ssh exiting 0 after the engine answered is a clean end of stream (the engine closed the
 * connection). ssh exiting otherwise, or before a single byte came back, is an 'error' whose
 * message is ssh's last stderr line and whose code is ESSH. Destroying the socket kills the child.
 */
export class SshSocket extends Duplex {
  /** Like net.Socket#timeout: the idle timeout in ms, 0 for none (http.Agent reads it). */
  timeout = 0;
  readonly connecting = false;
  private child: ChildProcess | null = null;
  private stderr = '';
  private gotBytes = false;
  private refed = true;
  private idleTimer: NodeJS.Timeout | null = null;
  /** A write or end that came before the child started (a Duplex has at most one in flight). */
  private pending: (() => void) | null = null;
  private readonly cancelWait: () => void;
  private leaveGate: (() => void) | null = null;

  constructor(private readonly target: SshTarget, private readonly sshBinary = 'ssh', gate = new HandshakeGate(Infinity)) {
    // Not half-open, like a net.Socket: when ssh's output ends, the socket ends.
    super({ allowHalfOpen: false });
    this.cancelWait = gate.enter(() => {
      let left = false;
      this.leaveGate = () => { if (!left) { left = true; gate.leave(); } };
      if (this.destroyed) { this.leaveGate(); return; }
      this.start();
    });
  }

  /** The ssh process id once started (tests, diagnostics). */
  get pid(): number | undefined { return this.child?.pid; }

  private start(): void {
    const child = spawn(this.sshBinary, sshArgs(this.target), { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    const { stdin, stdout, stderr } = child;
    stdout.on('data', (chunk: Buffer) => {
      if (!this.gotBytes) { this.gotBytes = true; this.leaveGate?.(); }
      this.touch();
      if (!this.push(chunk)) stdout.pause();
    });
    stderr.setEncoding('utf8');
    stderr.on('data', (text: string) => { this.stderr = (this.stderr + text).slice(-STDERR_KEEP); });
    // A write into a dead ssh (EPIPE) says nothing: its exit status and stderr, below, do.
    stdin.on('error', () => {});

    child.on('error', (err: NodeJS.ErrnoException) => {
      // ssh itself could not be started (not installed, not executable).
      this.leaveGate?.();
      if (!this.destroyed) this.destroy(sshError(`cannot run ${this.sshBinary}: ${err.code ?? err.message}`, '', null));
    });
    // 'close': the process has exited and its pipes are drained, so stderr is complete.
    child.on('close', (code: number | null, signal: NodeJS.Signals | null) => {
      this.leaveGate?.();
      if (this.destroyed) return;
      if (code === 0 && this.gotBytes) { this.push(null); return; }
      const line = lastLine(this.stderr);
      const message = line || (code === null
        ? `ssh was killed by ${signal ?? 'a signal'}`
        : code === 0 ? 'ssh exited before the Docker engine answered' : `ssh exited with status ${code}`);
      this.destroy(sshError(message, line, code));
    });
    if (!this.refed) this.unref();
    const pending = this.pending;
    this.pending = null;
    pending?.();
  }

  override _read(): void {
    this.child?.stdout?.resume();
  }

  override _write(chunk: Buffer, enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (!this.child) { this.pending = () => this._write(chunk, enc, cb); return; }
    this.touch();
    // Errors surface through the exit handler (with ssh's own words), not as a bare EPIPE.
    this.child.stdin?.write(chunk, () => cb());
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (!this.child) { this.pending = () => this._final(cb); return; }
    // Half-close toward the engine: dial-stdio closes its write side, the engine answers and closes.
    this.child.stdin?.end(() => cb());
  }

  override _destroy(err: Error | null, cb: (err: Error | null) => void): void {
    this.clearIdle();
    this.cancelWait();
    this.pending = null;
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null && child.pid !== undefined) child.kill('SIGTERM');
    if (!child) this.leaveGate?.();
    cb(err);
  }

  /** Keeps the process alive for this socket again (http.Agent refs a pooled socket it reuses). */
  ref(): this {
    return this.hold(true);
  }

  /** Lets the process exit while this socket idles in the pool (http.Agent unrefs free sockets). */
  unref(): this {
    return this.hold(false);
  }

  /** ref or unref the ssh child, its pipes and the idle timer together. */
  private hold(on: boolean): this {
    this.refed = on;
    const verb = on ? 'ref' : 'unref';
    const c = this.child;
    if (c) {
      c[verb]();
      for (const s of [c.stdin, c.stdout, c.stderr]) (s as { ref?: () => void; unref?: () => void } | null)?.[verb]?.();
    }
    this.idleTimer?.[verb]();
    return this;
  }

  /** net.Socket semantics: 'timeout' after `ms` without traffic; 0 turns it off. */
  setTimeout(ms: number, cb?: () => void): this {
    this.timeout = ms;
    if (cb) this.once('timeout', cb);
    this.touch();
    return this;
  }

  setKeepAlive(): this { return this; }
  setNoDelay(): this { return this; }

  private touch(): void {
    this.clearIdle();
    if (this.timeout > 0 && !this.destroyed) {
      this.idleTimer = setTimeout(() => { this.idleTimer = null; this.emit('timeout'); }, this.timeout);
      if (!this.refed) this.idleTimer.unref();
    }
  }

  private clearIdle(): void {
    if (this.idleTimer) { clearTimeout(this.idleTimer); this.idleTimer = null; }
  }
}

/**
 * Requests that hold their connection open for as long as they run: the event stream, followed
 * logs, streamed stats, attach and wait. They must not take the slots of short calls.
 */
export function isLongLived(path: string): boolean {
  const [route = '', query = ''] = path.split('?', 2);
  const q = new URLSearchParams(query);
  const truthy = (k: string) => q.get(k) === 'true' || q.get(k) === '1';
  if (/\/events$/.test(route) || /\/(attach|wait)$/.test(route)) return true;
  if (/\/logs$/.test(route)) return truthy('follow');
  if (/\/stats$/.test(route)) return q.get('stream') !== 'false' && q.get('stream') !== '0';
  return false;
}

export interface SshAgentOptions {
  /** Connections (ssh processes) for short calls at once; more calls wait for a free one. */
  maxSockets?: number;
  /** An idle kept-alive connection's ssh is ended after this long. */
  idleMs?: number;
  /** ssh handshakes at once (calls and streams together), under sshd's default MaxStartups of 10. */
  maxHandshakes?: number;
  /** The ssh program (tests). */
  sshBinary?: string;
}

type AgentInternals = {
  addRequest(req: http.ClientRequest, options: http.RequestOptions): void;
  keepSocketAlive(socket: SshSocket): boolean;
  reuseSocket(socket: SshSocket, req: http.ClientRequest): void;
};

/**
 * An http.Agent whose connections are ssh children. Short calls share a bounded, kept-alive pool
 * (each new connection costs an SSH handshake, and sshd's MaxStartups drops a burst of them);
 * long-lived streams get a connection of their own outside that bound, so a dozen followed logs
 * can never starve the stats and inspect calls. Idle pooled ssh processes end after idleMs.
 */
export function sshAgent(t: SshTarget, opts: SshAgentOptions = {}): http.Agent {
  const idleMs = opts.idleMs ?? 30_000;
  const gate = new HandshakeGate(opts.maxHandshakes ?? 6);
  const connect = (): SshSocket => new SshSocket(t, opts.sshBinary, gate);

  // Streams: one ssh each, unbounded, not kept alive (Connection: close when they end).
  const streams = new http.Agent({ keepAlive: false });
  (streams as unknown as { createConnection: () => SshSocket }).createConnection = connect;

  // As many kept free as may run: the model's stats pass sends a burst every refresh, and closing
  // most of the pool after each would pay every handshake again a second later.
  const maxSockets = opts.maxSockets ?? 8;
  const calls = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  const internals = calls as unknown as AgentInternals;
  (calls as unknown as { createConnection: () => SshSocket }).createConnection = connect;
  const addRequest = internals.addRequest.bind(calls);
  const keepSocketAlive = internals.keepSocketAlive.bind(calls);
  const reuseSocket = internals.reuseSocket.bind(calls);
  internals.addRequest = (req, options) => {
    if (isLongLived(req.path)) (streams as unknown as AgentInternals).addRequest(req, options);
    else addRequest(req, options);
  };
  // Free in the pool: an idle timer (the agent destroys a free socket on 'timeout').
  internals.keepSocketAlive = (socket) => {
    const keep = keepSocketAlive(socket);
    if (keep) socket.setTimeout(idleMs);
    return keep;
  };
  // Back at work: no idle timeout during a call (calls set their own through the request).
  internals.reuseSocket = (socket, req) => {
    socket.setTimeout(0);
    reuseSocket(socket, req);
  };
  const destroy = calls.destroy.bind(calls);
  calls.destroy = () => { streams.destroy(); destroy(); };
  return calls;
}

/** Dockerode options for an engine behind ssh: host and port only name the pool; the agent dials. */
export function sshDockerOptions(t: SshTarget, opts: SshAgentOptions = {}): Dockerode.DockerOptions & { agent: http.Agent; sshTarget: SshTarget } {
  // docker-modem hands `agent` to every request (its typings list it; dockerode's do not).
  // sshTarget: what the agent dials, for diagnostics (docker-modem ignores it).
  return { protocol: 'http', host: 'docker', port: 80, agent: sshAgent(t, opts), timeout: 0, sshTarget: t };
}
