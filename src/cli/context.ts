import { loadConfig, ConfigError, formatConfigError } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import { EndpointError, type DockerEndpoint } from '../docker/endpoint.js';
import { resolveEndpoints } from '../docker/endpoints.js';
import { resolveStateDir } from '../store/paths.js';

export interface GlobalOptions {
  config?: string;
  stateDir?: string;
  readOnly?: boolean;
  dockerHost?: string;
  endpoint?: string;
  color?: boolean; // commander's --no-color sets color=false
  ascii?: boolean;
}

/** Everything a command needs, resolved once from flags, config file and environment. */
export interface Context {
  config: Config;
  configSource: string | null;
  /** The endpoint commands act on (--endpoint, else the default). */
  endpoint: DockerEndpoint;
  /** Every endpoint (config endpoints, Docker contexts, or the one local engine); the cockpit shows all. */
  endpoints: DockerEndpoint[];
  /** Contexts that could not be read, for `opsdeck config`. */
  endpointNotes: string[];
  /** --endpoint all: the cockpit opens on every endpoint at once; commands act on one and refuse it. */
  allEndpoints: boolean;
  stateDir: string;
  readOnly: boolean;
  color: boolean;
  ascii: boolean;
  refreshMs: number;
  env: NodeJS.ProcessEnv;
}

/** A usage or configuration problem: printed as is, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function buildContext(opts: GlobalOptions, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Context {
  let loaded;
  try {
    loaded = loadConfig({ explicit: opts.config, env, cwd });
  } catch (e) {
    if (e instanceof ConfigError) throw new UsageError(formatConfigError(e));
    throw e;
  }
  const { config, source } = loaded;
  let endpoint: DockerEndpoint;
  let list: ReturnType<typeof resolveEndpoints>;
  try {
    list = resolveEndpoints({ flag: opts.dockerHost, select: opts.endpoint, config, env });
    endpoint = list.endpoints.find((e) => e.name === list.current)!;
  } catch (e) {
    if (e instanceof EndpointError) throw new UsageError(e.message);
    throw e;
  }
  const noColorEnv = env.NO_COLOR !== undefined && env.NO_COLOR !== '';
  return {
    config,
    configSource: source,
    endpoint,
    endpoints: list.endpoints,
    endpointNotes: list.notes,
    allEndpoints: Boolean(list.all),
    stateDir: resolveStateDir({ flag: opts.stateDir, config: config.stateDir, env }),
    readOnly: Boolean(opts.readOnly) || Boolean(config.readOnly),
    color: opts.color !== false && !noColorEnv,
    ascii: Boolean(opts.ascii) || env.TERM === 'linux',
    refreshMs: config.refresh,
    env,
  };
}
