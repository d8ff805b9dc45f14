/** Every check kind's runner, by kind name (runCheck picks from here). */
import type { CheckKindName, CheckKindRunner } from '../types.js';
import { runBackup } from './backup.js';
import { runCommand } from './command.js';
import { runContainer } from './container.js';
import { runCpu, runDisk, runMemory } from './host.js';
import { runHttp } from './http.js';
import { runLogs } from './logs.js';
import { runMaintenance } from './maintenance.js';
import { runCapacity } from './capacity.js';
import { runPostgres } from './postgres.js';
import { runRedis } from './redis.js';
import { runSqlite } from './sqlite.js';
import { runTcp } from './tcp.js';
import { runTls } from './tls.js';

export const KINDS: Record<CheckKindName, CheckKindRunner> = {
  http: runHttp,
  tcp: runTcp,
  tls: runTls,
  postgres: runPostgres,
  redis: runRedis,
  sqlite: runSqlite,
  container: runContainer,
  disk: runDisk,
  memory: runMemory,
  cpu: runCpu,
  logs: runLogs,
  command: runCommand,
  backup: runBackup,
  maintenance: runMaintenance,
  capacity: runCapacity,
};
