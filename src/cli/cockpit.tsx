import React, { useRef, useSyncExternalStore } from 'react';
import { render } from 'ink';
import { hostname } from 'node:os';
import { App, type AppProps, type InitialState } from '../../views/App.js';
import { DockerModel } from '../model/dockerModel.js';
import { ALL_HOSTS, AllHostsModel, Fleet, type FleetMember } from '../model/fleet.js';
import { SwarmModel } from '../swarm/model.js';
import type { LiveChecks } from '../checks/live.js';
import type { EventRecorder } from '../timeline/recorder.js';
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

/** What each endpoint has of its own: actions, logs, checks, the event recorder, Swarm services. */
interface MemberServices { runner: Runner; logs: LogModel; checks: LiveChecks; recorder: EventRecorder | null; swarm: SwarmModel }

/**
 * Runs the interactive cockpit full screen until the operator quits; returns the exit code.
 * `first` is the model of the endpoint shown first (started before the UI loaded, for the first paint).
 */
export async function runCockpit(ctx: Context, first: DockerModel): Promise<number> {
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
  // Every endpoint its own model (the first is already listing): each connects and fails on its own.
  const members: FleetMember[] = ctx.endpoints.map((endpoint) => {
    const docker = endpoint.name === ctx.endpoint.name ? first : new DockerModel(endpoint, { refreshMs: ctx.refreshMs });
    docker.start();
    return { name: endpoint.name ?? 'local', endpoint, docker };
  });
  const fleet = new Fleet(members, ctx.allEndpoints && members.length > 1 ? ALL_HOSTS : first.endpoint.name ?? members[0]!.name);
  const multi = fleet.multi;
  const docker = first;
  const host = new HostModel(ctx.refreshMs);
  // Host sample right before each stats round is published: one repaint for both.
  docker.beforeStatsPublish = () => host.sampleNow({ quiet: true });
  host.start();

  // The maintenance window (banner, m); every opsdeck shows it while it is open.
  const maintenance = new MaintenanceModel(db);
  maintenance.start();
  const timeline = new TimelineModel(db);
  // Per endpoint: the runner (audit rows and confirmations name the endpoint), the Logs view's
  // streams, health checks (the configured ones on the first endpoint; the discovered ones of each
  // engine on it, named "ENDPOINT/…"), the incident timeline's event recorder, Swarm services.
  const services = new Map<string, MemberServices>();
  for (const m of members) {
    const primary = m.docker === first;
    const swarm = new SwarmModel(m.docker.reader);
    swarm.start();
    services.set(m.name, {
      runner: new Runner({ ctx: { docker: m.docker.reader, control: createControl(m.docker.reader, { readOnly: ctx.readOnly }) }, db, dbError, readOnly: ctx.readOnly, multiEndpoint: multi }),
      logs: new LogModel(m.docker, { tail: ctx.config.logs.tail, maxLines: ctx.config.logs.maxLines, maxBytes: ctx.config.logs.maxBytes }),
      checks: startLiveChecks({ docker: m.docker, host, config: ctx.config, db, maintenance, ...(primary || !multi ? {} : { secondary: { name: m.name } }) }),
      recorder: db ? startEventRecorder(db, m.docker, { onWrite: () => timeline.notifyWrite() }) : null,
      swarm,
    });
  }
  const mine = services.get(first.endpoint.name ?? members[0]!.name)!;
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
  const all = multi ? new AllHostsModel(fleet) : null;
  // What every endpoint shares; the Root adds the shown endpoint's own parts.
  const shared: Omit<AppProps, 'docker' | 'runner'> = {
    host, hostname: hostname(), readOnly: ctx.readOnly, color: ctx.color, ascii: ctx.ascii, thresholds: ctx.config.thresholds,
    onQuit: () => { quitting = true; }, logTail: ctx.config.logs.tail, saveDirs: [process.cwd(), join(ctx.stateDir, 'logs')],
    backups, backupEnv, maintenance, config: ctx.config, timeline, capacity, diagEnv: { stateDir: ctx.stateDir, configSource: ctx.configSource },
  };
  const route = (name: string) => {
    const m = fleet.member(name);
    const s = services.get(name);
    return m && s ? { runner: s.runner, docker: m.docker } : null;
  };
  function Root() {
    const fs = useSyncExternalStore(fleet.subscribe, fleet.getSnapshot);
    const initial = useRef<InitialState>({});
    const member = fs.current === ALL_HOSTS ? null : fleet.member(fs.current) ?? null;
    const own = member ? services.get(member.name)! : mine;
    const fleetProps = multi ? {
      current: fs.current, endpoints: fs.endpoints, route,
      switchTo: (name: string, then?: InitialState) => { initial.current = then ?? {}; fleet.select(name); },
      setVisible: (rows: Parameters<Fleet['setVisible']>[0]) => fleet.setVisible(rows),
    } : null;
    // A new endpoint is a fresh screen (key): its own selection and filter, the view carried over.
    return (
      <App key={fs.current} {...shared} docker={member ? member.docker : all ?? first} runner={own.runner} logs={own.logs}
        checks={own.checks.scheduler} swarm={member ? own.swarm : null} fleet={fleetProps} initial={initial.current}
        hostStrip={member ? member.endpoint.url.startsWith('unix://') : !multi} />
    );
  }
  const instance = render(<Root />, { exitOnCtrlC: false, patchConsole: true, maxFps: 30 });

  /** Stops every stream and timer and gives the terminal back; live checks are stopped by the caller. */
  const stopAll = () => {
    for (const s of services.values()) { s.recorder?.stop(); s.logs.close(); s.swarm.stop(); }
    timeline.stop();
    capacity.stop();
    backups.stop();
    maintenance.stop();
    all?.stop();
    fleet.stop();
    host.stop();
    restore();
  };
  const stopChecks = () => Promise.all([...services.values()].map((s) => s.checks.stop()));
  const shutdown = (code: number) => {
    quitting = true;
    instance.unmount();
    void stopChecks();
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
    await stopChecks();
    await collector?.stop().catch(() => undefined);
    db?.close();
    process.off('warning', onWarning);
    for (const l of defaultWarningListeners) process.on('warning', l);
    for (const w of warnings) process.stderr.write(`opsdeck: (warning during the session) ${w}\n`);
  }
  void quitting;
  return 0;
}
