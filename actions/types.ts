import type { ContainerControl, DockerReader } from '../src/docker/client.js';

/**
 * An action is data plus steps, not UI. One runner (src/run/runner.ts) executes any action for the
 * TUI and the CLI alike: read-only guard, preflight, confirmation, lock, steps with events, audit.
 */
export interface ActionDef<P> {
  /** Stable id, used in the audit log: "container.restart". */
  id: string;
  /** Human title: "Restart container". */
  title: string;
  /** Past tense for result lines: "restarted". */
  done: string;
  /** Changes anything? Then it is refused read-only, needs confirmation, is locked and audited. */
  mutates: boolean;
  /** Destructive ones need the target's name typed to confirm. */
  destructive: boolean;
  /** The lock key and the audit target: "container/shop-api-1". */
  target(params: P): string;
  /** The parameters recorded in the audit log. */
  auditParams?(params: P): Record<string, unknown>;
  /** Checks that abort before anything changes; throw PreflightError with its own message. */
  preflight?(params: P, ctx: ActionContext): Promise<void>;
  /** Exactly what will happen to what. */
  confirmation(params: P, ctx: ActionContext): Promise<Confirmation>;
  steps(params: P): Step<P>[];
  /**
   * Called when a step fails or is interrupted, before the run reports: undo what the steps did.
   * Its context has a fresh signal (the Ctrl-C that interrupted the run does not stop the undo) and
   * `step()` to show its own steps. Resolves to the message the run fails with ("restore failed at
   * Restore: … — rolled back to the state of 14:02").
   */
  recover?(params: P, failure: StepFailure, ctx: RecoverContext): Promise<string>;
}

export interface StepFailure {
  stepId: string;
  stepTitle: string;
  error: string;
  /** The failure was the operator's interrupt (Ctrl-C), not the step's own error. */
  interrupted: boolean;
}

export interface RecoverContext extends StepContext {
  /** Runs fn as a visible step (events running → done/failed); rethrows its error. */
  step(id: string, title: string, fn: () => Promise<string | void>): Promise<string | void>;
}

export interface Confirmation {
  title: string;
  /** What will happen to what: target, its state, side effects. */
  lines: string[];
  /** When set, the operator must type this (the target's name) to confirm. */
  typeToConfirm?: string;
  /** Label of the confirming choice: "restart", "stop". */
  verb: string;
}

export interface Step<P> {
  id: string;
  title: string;
  run(params: P, ctx: StepContext): Promise<string | void>;
}

/** What actions may touch. The control is the read-only variant when opsdeck runs read-only. */
export interface ActionContext {
  docker: DockerReader;
  control: ContainerControl;
}

export interface StepContext extends ActionContext {
  signal: AbortSignal;
  progress(p: Progress): void;
  log(line: string): void;
}

export interface Progress {
  bytes?: number;
  totalBytes?: number;
  /** 0..1 when known. */
  fraction?: number;
  message?: string;
}

export class PreflightError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PreflightError';
  }
}

export type RunEvent =
  | { type: 'step'; id: string; title: string; status: 'running' | 'done' | 'failed' | 'skipped'; durationMs?: number; detail?: string; error?: string }
  | { type: 'progress'; step: string; progress: Progress & { rate?: number; etaMs?: number } }
  | { type: 'log'; step: string; line: string };
