import React from 'react';
import { render } from 'ink';
import { hostname } from 'node:os';
import { App } from '../../views/App.js';
import type { DockerModel } from '../model/dockerModel.js';
import { HostModel } from '../model/hostModel.js';
import type { Context } from './context.js';
import { openStore } from './actions.js';
import { Runner } from '../run/runner.js';
import { createControl } from '../docker/client.js';
import { LogModel } from '../model/logModel.js';
import { startLiveChecks } from '../checks/live.js';
import { BackupsModel } from '../model/backupsModel.js';
import { MaintenanceModel } from '../model/maintenanceModel.js';
import { defaultBackupDir } from '../store/paths.js';
import { policyOf } from '../backup/retention.js';
import { join } from 'node:path';
import { TimelineModel } from '../model/timelineModel.js';
import { startEventRecorder } from '../timeline/recorder.js';
import { CapacityModel } from '../model/capacityModel.js';
import { startCollector } from '../metrics/collector.js';
import { metricsSettings } from '../metrics/settings.js';

const ALT_ON = '\x1b[?1049h\x1b[H\x1b[2J';
const ALT_OFF = '\x1b[?25h\x1b[?1049l';

/** Runs the interactive cockpit full screen until the operator quits; returns the exit code. */
export async function runCockpit(ctx: Context, docker: DockerModel): Promise<number> {
  const out = process.stdout;
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    out.write(ALT_OFF);
  };
  out.write(ALT_ON);
  process.on('exit', restore);
  // Node prints warnings to stderr, which would draw over the full-screen frame: keep them for later.
  const warnings: string[] = [];
  const defaultWarningListeners = process.listeners('warning');
  process.removeAllListeners('warning');
  const onWarning = (w: Error) => { if (warnings.length < 20) warnings.push(`${w.name}: ${w.message}`); };
  process.on('warning', onWarning);
  // Before Ink's own resize handler: the terminal has reflowed the old frame, so Ink's line-count
  // erase would leave debris. We own the whole (alternate) screen: wipe it and let Ink draw anew.
  const onResize = () => out.write('\x1b[2J\x1b[H');
  out.prependListener('resize', onResize);

  // Actions write the audit log; without a usable state store they refuse (and say why).
  const { db, error: dbError } = openStore(ctx);
  const runner = new Runner({ ctx: { docker: docker.reader, control: createControl(docker.reader, { readOnly: ctx.readOnly }) }, db, dbError, readOnly: ctx.readOnly });
  const host = new HostModel(ctx.refreshMs);
  // Host sample right before each stats round is published: one repaint for both.
  docker.beforeStatsPublish = () => host.sampleNow({ quiet: true });
  host.start();

  // The Logs view's streams: opened by the view, closed when it is left.
  const logs = new LogModel(docker, { tail: ctx.config.logs.tail, maxLines: ctx.config.logs.maxLines, maxBytes: ctx.config.logs.maxBytes });

  // The maintenance window (banner, m); every opsdeck shows it while it is open.
  const maintenance = new MaintenanceModel(db);
  maintenance.start();
  // Health checks: on their intervals, container checks on Docker's events; alerts need the store.
  const live = startLiveChecks({ docker, host, config: ctx.config, db, maintenance });

  // The incident timeline: Docker events go to the store (and what dockerd still holds from before
  // we started is backfilled); the model reads the joined feed for view 6 and the "what changed" line.
  const timeline = new TimelineModel(db);
  const recorder = db ? startEventRecorder(db, docker, { onWrite: () => timeline.notifyWrite() }) : null;
  timeline.start();

  // Metric history: this cockpit records only while no agent (or other cockpit) does — never both;
  // it steps aside when an agent starts and takes over when it stops. Container series are recorded
  // while the Overview runs its stats rounds (other views pause them); the agent records always.
  const metrics = metricsSettings(ctx.config);
  const collector = db ? startCollector({ db, docker, host, role: 'cockpit', intervalMs: Math.max(metrics.intervalMs, ctx.refreshMs), config: ctx.config, retention: metrics.retention, onError: () => undefined }) : null;
  const capacity = new CapacityModel(db, { retention: metrics.retention });

  // Backup targets and their history (view 4).
  const backups = new BackupsModel(docker, ctx.config, db);
  backups.start();
  let retention: ReturnType<typeof policyOf> | null = null;
  try { retention = policyOf(ctx.config.backups.retention); } catch { retention = null; }
  const backupEnv = {
    db, dir: ctx.config.backups.dir ?? defaultBackupDir(ctx.env), retention,
    age: { warn: ctx.config.thresholds.backupAge.warn, crit: ctx.config.thresholds.backupAge.crit },
  };

  let quitting = false;
  const instance = render(
    <App docker={docker} host={host} hostname={hostname()} readOnly={ctx.readOnly} color={ctx.color} ascii={ctx.ascii}
      thresholds={ctx.config.thresholds} runner={runner} onQuit={() => { quitting = true; }}
      logs={logs} logTail={ctx.config.logs.tail} saveDirs={[process.cwd(), join(ctx.stateDir, 'logs')]} checks={live.scheduler} backups={backups} backupEnv={backupEnv} maintenance={maintenance} config={ctx.config} timeline={timeline} capacity={capacity} diagEnv={{ stateDir: ctx.stateDir, configSource: ctx.configSource }} />,
    { exitOnCtrlC: false, patchConsole: true, maxFps: 30 },
  );

  /** Stops every stream and timer and gives the terminal back; live checks are stopped by the caller. */
  const stopAll = () => {
    recorder?.stop();
    timeline.stop();
    capacity.stop();
    backups.stop();
    maintenance.stop();
    logs.close();
    docker.stop();
    host.stop();
    restore();
  };
  const shutdown = (code: number) => {
    quitting = true;
    instance.unmount();
    void live.stop();
    stopAll();
    process.exitCode = code;
  };
  const onSignal = () => shutdown(130);
  process.once('SIGTERM', onSignal);
  process.once('SIGHUP', onSignal);
  const onCrash = (err: unknown) => {
    shutdown(1);
    process.stderr.write(`opsdeck: crashed: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  };
  process.once('uncaughtException', onCrash);
  process.once('unhandledRejection', onCrash);

  try {
    await instance.waitUntilExit();
  } finally {
    out.off('resize', onResize);
    stopAll();
    // After the terminal is back: webhook deliveries in flight get a few seconds to land.
    await live.stop();
    await collector?.stop().catch(() => undefined);
    db?.close();
    process.off('warning', onWarning);
    for (const l of defaultWarningListeners) process.on('warning', l);
    for (const w of warnings) process.stderr.write(`opsdeck: (warning during the session) ${w}\n`);
  }
  void quitting;
  return 0;
}
