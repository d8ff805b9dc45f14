/**
 * The bundle's files before they are packed: a private directory (0700) next to the output, files
 * 0600, every byte passing the redaction on its way in (text line by line, JSON structurally, logs
 * through a LineRedactor per file). Nothing reaches the tar that did not come through here.
 */
import { promises as fsp } from 'node:fs';
import { dirname, join } from 'node:path';
import { stringify as yamlStringify } from 'yaml';
import { CappedLog } from './logcap.js';
import { LineRedactor, redactText, redactValue } from './redact.js';

export interface StagedFile {
  /** Path inside the bundle (below its top directory), '/'-separated. */
  path: string;
  bytes: number;
  /** One line for SUMMARY.md's table of contents. */
  what: string;
}

export class Staging {
  readonly files = new Map<string, StagedFile>();
  private removed = false;

  /** `root` is the private staging directory; files go below root/top. */
  constructor(readonly root: string, readonly top: string) {}

  static async create(parent: string, top: string): Promise<Staging> {
    const root = await fsp.mkdtemp(join(parent, '.opsdeck-diag-'));
    await fsp.chmod(root, 0o700);
    await fsp.mkdir(join(root, top), { mode: 0o700 });
    return new Staging(root, top);
  }

  abs(path: string): string {
    return join(this.root, this.top, path);
  }

  private async prepare(path: string): Promise<string> {
    // A step that outlived the bundle (abandoned at its timeout) must not recreate the directory.
    if (this.removed) throw new Error('the bundle is already finished');
    if (path.split('/').some((p) => p === '' || p === '.' || p === '..')) throw new Error(`unsafe bundle path ${JSON.stringify(path)}`);
    const abs = this.abs(path);
    await fsp.mkdir(dirname(abs), { recursive: true, mode: 0o700 });
    return abs;
  }

  /** Free text, redacted line by line. */
  async text(path: string, content: string, what: string): Promise<void> {
    const abs = await this.prepare(path);
    const data = redactText(content.endsWith('\n') || content === '' ? content : `${content}\n`);
    await fsp.writeFile(abs, data, { mode: 0o600, flag: 'w' });
    this.files.set(path, { path, bytes: Buffer.byteLength(data), what });
  }

  /** A value as JSON, redacted structurally (names and values) before it is serialised. */
  async json(path: string, value: unknown, what: string): Promise<void> {
    await this.raw(path, `${JSON.stringify(redactValue(value), null, 2)}\n`, what);
  }

  /** A value as YAML, redacted structurally. */
  async yaml(path: string, value: unknown, what: string): Promise<void> {
    await this.raw(path, yamlStringify(redactValue(value)), what);
  }

  /** Already-redacted content (json and yaml above). */
  private async raw(path: string, data: string, what: string): Promise<void> {
    const abs = await this.prepare(path);
    await fsp.writeFile(abs, data, { mode: 0o600, flag: 'w' });
    this.files.set(path, { path, bytes: Buffer.byteLength(data), what });
  }

  /** A capped log file: lines go through one LineRedactor; `finish` puts it in place. */
  async log(path: string, what: string, cap: number, capLabel: string): Promise<StagedLog> {
    const abs = await this.prepare(path);
    return new StagedLog(this, path, what, new CappedLog(abs, cap), capLabel);
  }

  /** Called by StagedLog.finish. */
  record(file: StagedFile): void {
    this.files.set(file.path, file);
  }

  async remove(): Promise<void> {
    this.removed = true;
    await fsp.rm(this.root, { recursive: true, force: true });
  }
}

/** A log file being written: `line(prefix, text, ts)` redacts `text` (the prefix is ours). */
export class StagedLog {
  private readonly redactor = new LineRedactor();
  lines = 0;

  constructor(private readonly staging: Staging, readonly path: string, private readonly what: string, private readonly out: CappedLog, private readonly capLabel: string) {}

  line(prefix: string, text: string, ts: number): void {
    this.out.line(`${prefix}${this.redactor.line(text)}`, ts);
    this.lines++;
  }

  flush(): void {
    this.out.flush();
  }

  /** Puts the file in place; `tail` are note lines of ours appended at the end. */
  async finish(tail: string[] = []): Promise<{ bytes: number; cut: import('./logcap.js').CutInfo | null }> {
    const r = await this.out.finish(this.capLabel, tail.map((t) => redactText(t)));
    this.staging.record({ path: this.path, bytes: r.bytes, what: this.what });
    return { bytes: r.bytes, cut: r.cut };
  }

  discard(): void {
    this.out.discard();
  }
}
