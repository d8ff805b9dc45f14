/**
 * Docker Swarm, as opsdeck shows it: services, their tasks and the nodes, read from a manager.
 * opsdeck adds nothing of its own between the engines: everything here is read from the Docker API
 * (/services, /tasks, /nodes, /info) and every change is one Docker API call (service update).
 */

/** What /info says about the engine's place in a swarm. */
export interface SwarmRole {
  /** inactive: not in a swarm; worker: in one, but services are read from a manager only. */
  state: 'inactive' | 'pending' | 'active' | 'error' | 'locked';
  manager: boolean;
  nodeId: string | null;
  /** Managers and nodes as /info counts them, for the header. */
  managers: number | null;
  nodes: number | null;
  error: string | null;
}

export interface SwarmTask {
  id: string;
  /** Replica slot (replicated) or null (global). */
  slot: number | null;
  nodeId: string | null;
  /** The node's hostname when known, else its id's first 12 characters. */
  node: string | null;
  /** Docker's task state: new, pending, assigned, accepted, preparing, starting, running, complete, shutdown, failed, rejected, remove, orphaned. */
  state: string;
  /** What the orchestrator wants: running or shutdown. */
  desiredState: string;
  /** Status.Message, and Status.Err when the task failed ("task: non-zero exit (1)"). */
  message: string;
  error: string | null;
  /** Status.Timestamp (ISO). */
  since: string | null;
  containerId: string | null;
  image: string;
  /** Version.Index of the service spec this task runs: tells old tasks from updated ones. */
  specVersion: number | null;
}

export interface SwarmUpdateStatus {
  /** Docker's UpdateStatus.State: updating, paused, completed, rollback_started, rollback_paused, rollback_completed. */
  state: string;
  message: string;
  startedAt: string | null;
  completedAt: string | null;
}

export interface SwarmService {
  id: string;
  name: string;
  /** replicated, global, replicated-job, global-job */
  mode: string;
  /** Desired replicas (replicated); for global: the number of eligible nodes' tasks wanted. */
  desired: number;
  /** Tasks whose state is running and desired state running. */
  running: number;
  /** The image without the @sha256 digest (shown), and the full reference (for the spec). */
  image: string;
  /** The full reference as in the spec, digest included (absent in snapshots made before it existed). */
  imageRef?: string;
  /** The stack (com.docker.stack.namespace label), null when not deployed by docker stack. */
  stack: string | null;
  /** Update in flight or last finished; null when never updated. */
  update: SwarmUpdateStatus | null;
  /** Progress of a rolling update: tasks on the new spec that run, of the desired count. */
  updated: { done: number; of: number } | null;
  /** A previous spec exists: rollback is possible. */
  canRollback: boolean;
  /** Spec ForceUpdate counter (force update increments it). */
  forceUpdate: number;
  /** Version.Index, needed by every update call. */
  version: number;
  createdAt: string | null;
  updatedAt: string | null;
  /** Current tasks (desired running, or the latest per slot when none is), newest first per slot. */
  tasks: SwarmTask[];
}

export interface SwarmNode {
  id: string;
  hostname: string;
  /** worker / manager; leader when it is the raft leader. */
  role: 'worker' | 'manager';
  leader: boolean;
  /** active, pause, drain */
  availability: string;
  /** ready, down, disconnected, unknown */
  status: string;
  /** Status.Message when not ready. */
  message: string;
  engineVersion: string | null;
  addr: string | null;
}

export interface SwarmSnapshot {
  role: SwarmRole;
  services: SwarmService[];
  nodes: SwarmNode[];
  /** True once the first read finished (whatever it found). */
  loaded: boolean;
  /** Last read's error, e.g. "this node is not a swarm manager" — shown in the view, never thrown. */
  error: string | null;
  at: number;
}
