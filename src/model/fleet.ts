import type { DockerEndpoint } from '../docker/endpoint.js';
import type { DockerReader } from '../docker/client.js';
import type { ConnState, ContainerRow, DockerModel, DockerSnapshot } from './dockerModel.js';
import { Observable } from './observable.js';

/** "all": the Overview of every endpoint, grouped by host then project. */
export const ALL_HOSTS = 'all';

/** One engine of several: its own model, so it connects, reconnects and fails on its own. */
export interface FleetMember {
  name: string;
  endpoint: DockerEndpoint;
  docker: DockerModel;
}

export interface EndpointStatus {
  name: string;
  url: string;
  conn: ConnState;
  containers: number;
  running: number;
}

export interface FleetSnapshot {
  /** An endpoint's name, or ALL_HOSTS. */
  current: string;
  endpoints: EndpointStatus[];
}

/**
 * The endpoints of one cockpit and which one is shown. Each member's DockerModel runs on its own;
 * the fleet only follows their connection states (for the header, the chooser and the banners) and
 * decides whose stats are sampled: the shown endpoint's, or in the all-hosts Overview only the rows
 * on screen (500 containers across 5 engines would otherwise cost 500 stats calls a round).
 */
export class Fleet extends Observable<FleetSnapshot> {
  private readonly offs: (() => void)[] = [];

  constructor(readonly members: FleetMember[], current: string) {
    super({ current, endpoints: members.map(statusOf) }, 100);
    for (const m of members) {
      let last: ConnState | null = null;
      let count = -1;
      let running = -1;
      this.offs.push(m.docker.subscribe(() => {
        const s = m.docker.getSnapshot();
        const r = s.containers.reduce((n, c) => n + (c.state === 'running' ? 1 : 0), 0);
        if (s.conn === last && s.containers.length === count && r === running) return;
        last = s.conn; count = s.containers.length; running = r;
        this.publish({ ...this.snap, endpoints: this.members.map(statusOf) });
      }));
    }
    this.applyStatsScope();
  }

  get multi(): boolean {
    return this.members.length > 1;
  }

  member(name: string): FleetMember | undefined {
    return this.members.find((m) => m.name === name);
  }

  /** The member shown, or the first one in the all-hosts Overview (its services back the other views). */
  get primary(): FleetMember {
    return this.member(this.snap.current) ?? this.members[0]!;
  }

  select(name: string): void {
    if (name !== ALL_HOSTS && !this.member(name)) return;
    if (name === this.snap.current) return;
    this.publish({ ...this.snap, current: name }, true);
    this.applyStatsScope();
  }

  /** The next endpoint in the list (H cycles through them and "all"). */
  next(): string {
    const names = [...this.members.map((m) => m.name), ...(this.multi ? [ALL_HOSTS] : [])];
    return names[(names.indexOf(this.snap.current) + 1) % names.length]!;
  }

  /** The rows on screen in the all-hosts Overview: only those get stats. */
  setVisible(rows: readonly Pick<ContainerRow, 'id' | 'endpoint'>[]): void {
    if (this.snap.current !== ALL_HOSTS) return;
    for (const m of this.members) m.docker.setStatsScope(new Set(rows.filter((r) => r.endpoint === m.name).map((r) => r.id)));
  }

  private applyStatsScope(): void {
    const all = this.snap.current === ALL_HOSTS;
    for (const m of this.members) {
      if (all) { m.docker.setStatsScope(new Set()); m.docker.setStatsPaused(false); }
      else { m.docker.setStatsScope(null); m.docker.setStatsPaused(m.name !== this.snap.current); }
    }
  }

  stop(): void {
    for (const off of this.offs) off();
    for (const m of this.members) m.docker.stop();
  }
}

function statusOf(m: FleetMember): EndpointStatus {
  const s = m.docker.getSnapshot();
  return { name: m.name, url: m.endpoint.url, conn: s.conn, containers: s.containers.length, running: s.containers.reduce((n, c) => n + (c.state === 'running' ? 1 : 0), 0) };
}

/**
 * The all-hosts Overview's model: every member's containers in one snapshot, each row marked with
 * its endpoint. Shaped like a DockerModel where the App reads one (subscribe, getSnapshot, stats).
 */
export class AllHostsModel extends Observable<DockerSnapshot> {
  private readonly offs: (() => void)[] = [];
  private readonly marked = new WeakMap<ContainerRow, ContainerRow>();

  constructor(private readonly fleet: Fleet) {
    super(merge(fleet, new WeakMap()), 50);
    // Merged only while all hosts are shown; the switch to them merges at once, before they draw.
    const shown = () => this.fleet.getSnapshot().current === ALL_HOSTS;
    for (const m of fleet.members) this.offs.push(m.docker.subscribe(() => { if (shown()) this.publish(merge(this.fleet, this.marked)); }));
    let was = shown();
    this.offs.push(fleet.subscribe(() => {
      const now = shown();
      if (now && !was) this.publish(merge(this.fleet, this.marked), true);
      was = now;
    }));
  }

  /** The first endpoint's reader: what reads not about one row use (rows go to their own engine). */
  get reader(): DockerReader {
    return this.fleet.members[0]!.docker.reader;
  }

  setStatsPaused(paused: boolean): void {
    for (const m of this.fleet.members) m.docker.setStatsPaused(paused);
  }

  /** Re-reads the container on whichever engine has it. */
  refreshContainer(id: string): void {
    for (const m of this.fleet.members) if (m.docker.getSnapshot().containers.some((c) => c.id === id)) m.docker.refreshContainer(id);
  }

  stop(): void {
    for (const off of this.offs) off();
  }
}

/** Rows keep their identity across merges (a WeakMap per source row), so memoised lines stay cheap. */
function merge(fleet: Fleet, marked: WeakMap<ContainerRow, ContainerRow>): DockerSnapshot {
  const containers: ContainerRow[] = [];
  let loaded = true;
  let up = 0;
  for (const m of fleet.members) {
    const s = m.docker.getSnapshot();
    if (!s.loaded) loaded = false;
    if (s.conn.status === 'up') up++;
    for (const row of s.containers) {
      let out = marked.get(row);
      if (!out) { out = { ...row, endpoint: m.name }; marked.set(row, out); }
      containers.push(out);
    }
  }
  const n = fleet.members.length;
  const conn: ConnState = {
    status: up > 0 ? 'up' : 'down',
    endpoint: `all hosts (${up}/${n} up)`,
    since: Date.now(),
  };
  // One engine that never answers must not keep the others' rows from the first paint.
  return { conn, containers, loaded: loaded || up > 0, at: Date.now() };
}
