/** The backup engines by target kind. */
import type { BackupEngine, BackupTargetKind } from '../types.js';
import { filesEngine } from './files.js';
import { mysqlEngine } from './mysql.js';
import { postgresEngine } from './postgres.js';
import { redisEngine } from './redis.js';
import { sqliteEngine } from './sqlite.js';
import { volumeEngine } from './volume.js';

export const ENGINES: Record<BackupTargetKind, BackupEngine> = {
  postgres: postgresEngine,
  sqlite: sqliteEngine,
  redis: redisEngine,
  mysql: mysqlEngine,
  volume: volumeEngine,
  files: filesEngine,
};

export { filesEngine, mysqlEngine, postgresEngine, redisEngine, sqliteEngine, volumeEngine };
