import { loadConfig, ConfigError, formatConfigError } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import { resolveEndpoint, EndpointError, type DockerEndpoint } from '../docker/endpoint.js';
import { resolveStateDir } from '../store/paths.js';

export interface GlobalOptions {
  config?: string;
  stateDir?: string;
  readOnly?: boolean;
  dockerHost?: string;
  color?: boolean; // commander's --no-color sets color=false
  ascii?: boolean;
}

/** Everything a command needs, resolved once from flags, config file and environment. */
export interface Context {
  config: Config;
  configSource: string | null;
  endpoint: DockerEndpoint;
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
  try {
    endpoint = resolveEndpoint({ flag: opts.dockerHost, config: config.docker, env });
  } catch (e) {
    if (e instanceof EndpointError) throw new UsageError(e.message);
    throw e;
  }
  const noColorEnv = env.NO_COLOR !== undefined && env.NO_COLOR !== '';
  return {
    config,
    configSource: source,
    endpoint,
    stateDir: resolveStateDir({ flag: opts.stateDir, config: config.stateDir, env }),
    readOnly: Boolean(opts.readOnly) || Boolean(config.readOnly),
    color: opts.color !== false && !noColorEnv,
    ascii: Boolean(opts.ascii) || env.TERM === 'linux',
    refreshMs: config.refresh,
    env,
  };
}
