// Durations ("2s", "1h30m") and byte sizes ("32MiB") as people write them in a config file.

const DURATION_UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const DURATION_PART = /(\d+(?:\.\d+)?|\.\d+)(ms|s|m|h|d|w)?/y;

/**
 * Milliseconds in a duration such as "500ms", "2s", "5m", "1h", "1d", "1w", or compound "1h30m".
 * A bare "0" is allowed; any other number needs a unit. Throws an Error whose message is fit to show.
 */
export function parseDuration(text: string): number {
  const source = text.trim();
  const bad = (why = '') =>
    new Error(`expected a duration like "30s", "5m" or "1h", got ${JSON.stringify(text)}${why}`);
  if (source === '0') return 0;
  if (source === '') throw bad();
  if (/^\d+(?:\.\d+)?$/.test(source)) throw bad(' (missing unit: ms, s, m, h, d or w)');
  let total = 0;
  DURATION_PART.lastIndex = 0;
  while (DURATION_PART.lastIndex < source.length) {
    const match = DURATION_PART.exec(source);
    if (!match) throw bad();
    const [, amount = '', unit] = match;
    if (unit === undefined) throw bad();
    total += Number(amount) * (DURATION_UNITS[unit] ?? Number.NaN);
  }
  if (!Number.isFinite(total)) throw bad();
  return Math.round(total);
}

/** The shortest compound form of a millisecond count: 93_600_000 → "1d2h", 1500 → "1s500ms". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms === 0) return '0s';
  const sign = ms < 0 ? '-' : '';
  let rest = Math.round(Math.abs(ms));
  let out = '';
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return sign + out;
}

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1000,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1000 ** 4,
  tib: 1024 ** 4,
};

/**
 * Bytes in a size such as "32MiB", "10MB", "512k" (single letters are binary, as in Docker) or "1048576".
 * Returns undefined when the text is not a size.
 */
export function parseByteSize(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  if (!match) return undefined;
  const factor = SIZE_UNITS[(match[2] ?? '').toLowerCase()];
  if (factor === undefined) return undefined;
  return Math.round(Number(match[1]) * factor);
}
