/**
 * Pure parts of the PostgreSQL restore: the custom-format archive header (which server and pg_dump
 * made the dump), the major-version rule, and the SQL the restore and the probe run.
 */
import { pgMajor } from '../../backup/engines/postgres.js';
import { RestoreRefused } from '../types.js';

export interface DumpHeader {
  /** Archive format version, e.g. "1.14.0". */
  archiveVersion: string;
  database: string | null;
  /** "15.18 (Debian 15.18-0+deb12u1)" */
  serverVersion: string | null;
  pgDumpVersion: string | null;
}

/**
 * Reads the header of a `pg_dump -Fc` archive (pg_backup_archiver.c WriteHead): "PGDMP", version
 * bytes, int and offset sizes, format, compression, creation time, database name, server version,
 * pg_dump version. Null when `head` is not such an archive or too short.
 */
export function parseDumpHeader(head: Buffer): DumpHeader | null {
  if (head.length < 11 || head.toString('latin1', 0, 5) !== 'PGDMP') return null;
  let off = 5;
  const byte = (): number => {
    if (off >= head.length) throw new RangeError('short');
    return head[off++]!;
  };
  try {
    const vmaj = byte();
    const vmin = byte();
    const vrev = vmaj > 1 || (vmaj === 1 && vmin > 0) ? byte() : 0;
    const v = (vmaj * 256 + vmin) * 256 + vrev;
    const K = (a: number, b: number) => (a * 256 + b) * 256;
    const intSize = byte();
    if (intSize < 1 || intSize > 8) return null;
    if (v >= K(1, 7)) byte(); // offSize
    byte(); // format
    const readInt = (): number => {
      const sign = byte();
      let n = 0;
      for (let b = 0; b < intSize; b++) n += byte() * 2 ** (8 * b);
      return sign ? -n : n;
    };
    const readStr = (): string | null => {
      const len = readInt();
      if (len < 0) return null;
      if (off + len > head.length) throw new RangeError('short');
      const s = head.toString('utf8', off, off + len);
      off += len;
      return s;
    };
    if (v >= K(1, 15)) byte();
    else if (v >= K(1, 2)) readInt();
    let database: string | null = null;
    let serverVersion: string | null = null;
    let pgDumpVersion: string | null = null;
    if (v >= K(1, 4)) {
      for (let i = 0; i < 7; i++) readInt();
      database = readStr();
    }
    if (v >= K(1, 10)) {
      serverVersion = readStr();
      pgDumpVersion = readStr();
    }
    return { archiveVersion: `${vmaj}.${vmin}.${vrev}`, database, serverVersion, pgDumpVersion };
  } catch (e) {
    if (e instanceof RangeError) return null;
    throw e;
  }
}

/** "15.18 (Debian …)" → "15.18". */
export function shortVersion(v: string): string {
  return v.trim().split(/\s/)[0] ?? v;
}

/**
 * The rule: the server's major must be ≥ the major of the server the dump came from and of the
 * pg_dump that wrote it (pg_restore cannot read archives of a newer pg_dump). Returns the line for
 * the confirmation dialog, or throws RestoreRefused naming both versions.
 */
export function checkMajors(server: string, dumpServer: string | null, dumpTool: string | null): string {
  const serverMajor = pgMajor(server);
  if (serverMajor === null) throw new Error(`cannot read the server's version ("${server}")`);
  const candidates = [dumpServer, dumpTool].filter((x): x is string => !!x);
  if (candidates.length === 0) return `PostgreSQL server ${shortVersion(server)}; the dump's version is unknown`;
  let newest = candidates[0]!;
  for (const c of candidates) if ((pgMajor(c) ?? 0) > (pgMajor(newest) ?? 0)) newest = c;
  const dumpMajor = pgMajor(newest);
  if (dumpMajor === null) return `PostgreSQL server ${shortVersion(server)}; the dump's version "${newest}" is unreadable`;
  const from = dumpServer && dumpTool && shortVersion(dumpServer) !== shortVersion(dumpTool)
    ? `PostgreSQL ${shortVersion(dumpServer)} (pg_dump ${shortVersion(dumpTool)})`
    : `PostgreSQL ${shortVersion(newest)}`;
  if (dumpMajor > serverMajor) {
    throw new RestoreRefused(
      `the dump is from ${from}, newer than this server's PostgreSQL ${shortVersion(server)}: a dump restores only into the same or a newer major version ` +
        `(upgrade the server to ${dumpMajor} first, or restore into a ${dumpMajor} server)`,
    );
  }
  return `PostgreSQL server ${shortVersion(server)} ≥ dump's ${shortVersion(newest)} (${dumpMajor === serverMajor ? 'same major' : `newer major than ${dumpMajor}`})`;
}

/** Exact row counts of every user table ("schema.table" → rows), partitioned tables as one. */
export const COUNT_QUERY =
  "SELECT COALESCE(json_object_agg(name, n ORDER BY name), '{}') FROM (" +
  "SELECT n.nspname || '.' || c.relname AS name, " +
  "(xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I.%I', n.nspname, c.relname), false, true, '')))[1]::text::bigint AS n " +
  'FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace ' +
  "WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_') t";

/** Ends every other session of the current database; its output is the number ended. */
export const TERMINATE_OTHERS =
  'SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()';

/**
 * Runs first inside the restore's transaction: the database is emptied down to what a fresh one
 * holds — every user schema (public too) with its contents, extensions, large objects, event
 * triggers, publications and foreign-data wrappers go — and `public` is recreated as a new
 * database has it (owner pg_database_owner on 14+, USAGE for PUBLIC, CREATE too before 15). The
 * dump then recreates everything it holds (an owner or ACL of public that differed from the
 * default is in the dump as ALTER/GRANT), so nothing made after the backup survives.
 */
export const EMPTY_DATABASE = `DO $opsdeck$
DECLARE
  r record;
  v int := current_setting('server_version_num')::int;
BEGIN
  FOR r IN SELECT evtname FROM pg_event_trigger LOOP
    EXECUTE format('DROP EVENT TRIGGER %I', r.evtname);
  END LOOP;
  FOR r IN SELECT pubname FROM pg_publication LOOP
    EXECUTE format('DROP PUBLICATION %I', r.pubname);
  END LOOP;
  PERFORM lo_unlink(l.oid) FROM pg_largeobject_metadata l;
  FOR r IN SELECT nspname FROM pg_namespace WHERE nspname <> 'information_schema' AND nspname !~ '^pg_' LOOP
    EXECUTE format('DROP SCHEMA %I CASCADE', r.nspname);
  END LOOP;
  FOR r IN SELECT extname FROM pg_extension WHERE extname <> 'plpgsql' LOOP
    EXECUTE format('DROP EXTENSION IF EXISTS %I CASCADE', r.extname);
  END LOOP;
  FOR r IN SELECT fdwname FROM pg_foreign_data_wrapper LOOP
    EXECUTE format('DROP FOREIGN DATA WRAPPER IF EXISTS %I CASCADE', r.fdwname);
  END LOOP;
  IF v >= 140000 THEN
    EXECUTE 'CREATE SCHEMA public AUTHORIZATION pg_database_owner';
  ELSE
    EXECUTE format('CREATE SCHEMA public AUTHORIZATION %I', (SELECT rolname FROM pg_roles WHERE oid = 10));
  END IF;
  IF v < 150000 THEN
    GRANT CREATE ON SCHEMA public TO PUBLIC;
  END IF;
  GRANT USAGE ON SCHEMA public TO PUBLIC;
  COMMENT ON SCHEMA public IS 'standard public schema';
END
$opsdeck$`;

/**
 * The shell script (constant: every value arrives as an argument) that restores inside the
 * container: `pg_restore --single-transaction -f FIFO DUMP` writes the SQL (BEGIN … COMMIT) into a
 * fifo that psql reads after its own `-c` commands (terminate the other sessions, BEGIN, empty the
 * database). psql runs with ON_ERROR_STOP, so the first failing statement ends it and the server
 * rolls the whole transaction back; a pg_restore that fails half-way never writes the COMMIT, so
 * psql reaches the end of its input inside the open transaction and the server rolls it back on
 * disconnect. A TERM (abort) ends both. Exit: psql's code, or 64 when only pg_restore failed.
 *
 * $1 dump, $2 fifo, then psql's argv.
 */
export const RESTORE_SCRIPT = [
  'dump=$1; fifo=$2; shift 2',
  'rm -f "$fifo"; mkfifo -m 600 "$fifo" || exit 125',
  'pg_restore --single-transaction --exit-on-error -f "$fifo" "$dump" & rp=$!',
  '"$@" -f "$fifo" & pp=$!',
  'trap \'kill -TERM $rp $pp 2>/dev/null\' TERM INT HUP',
  'wait $pp; pc=$?',
  // psql may end without opening the fifo (no connection): pg_restore would wait for a reader for ever.
  // After a psql that read to the end, pg_restore has finished writing: wait for its own exit code.
  'if [ $pc -ne 0 ]; then kill -TERM $rp 2>/dev/null; fi',
  'wait $rp; rc=$?',
  'rm -f "$fifo"',
  'if [ $pc -ne 0 ]; then exit $pc; fi',
  'if [ $rc -ne 0 ]; then echo "opsdeck: pg_restore failed (exit $rc)" >&2; exit 64; fi',
  'exit 0',
].join('\n');
