/**
 * Durations in scenarios and flags: a decimal number and a unit, no spaces: "250us", "2ms", "1.5s",
 * "100ns". Units: ns, us, ms, s. Values are returned as whole nanoseconds (a JS number; exact up to
 * 2^53 ns, about 104 days). Numbers without a unit are refused so a file never silently means the
 * wrong unit.
 */

export const DURATION_UNITS = { ns: 0, us: 3, ms: 6, s: 9 } as const;
export type DurationUnit = keyof typeof DURATION_UNITS;

/** The accepted syntax (scenario.schema.json uses the same pattern). */
export const DURATION_PATTERN = /^([0-9]+)(?:\.([0-9]+))?(ns|us|ms|s)$/;

const HINT = 'expected a number and a unit (ns, us, ms, s), e.g. "250us", "2ms", "1.5s"';

/** Parse a duration into nanoseconds. Throws an Error whose message says what is wrong. */
export function parseDuration(s: string): number {
  if (typeof s !== 'string') throw new Error(`invalid duration ${describe(s)}: ${HINT}`);
  const m = DURATION_PATTERN.exec(s);
  if (m === null) throw new Error(`invalid duration ${show(s)}: ${s.length > 60 ? HINT : whyInvalid(s)}`);
  const [, intPart, fracPart = '', unit] = m;
  const exp = DURATION_UNITS[unit as DurationUnit];
  // Exact decimal arithmetic: "0.1s" is 100000000 ns, not 100000000.00000001.
  const extra = fracPart.slice(exp);
  if (/[1-9]/.test(extra)) {
    throw new Error(`invalid duration ${show(s)}: finer than 1ns (at most ${exp} decimals with "${unit}")`);
  }
  const digits = intPart + fracPart.slice(0, exp).padEnd(exp, '0');
  const ns = BigInt(digits);
  if (ns > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`invalid duration ${show(s)}: too large`);
  return Number(ns);
}

/** Human-readable duration: the largest unit with at most 3 decimals, trailing zeros dropped
 *  ("1.5s", "250us", "2ms", "17ns", "1.235ms"). Exact (parseDuration round-trips) when the value
 *  needs at most 3 decimals in that unit; otherwise rounded for display. */
export function formatDuration(ns: number): string {
  if (!Number.isFinite(ns)) return String(ns);
  const sign = ns < 0 ? '-' : '';
  const a = Math.abs(ns);
  if (a < 1e3 && a % 1 === 0) return `${sign}${a}ns`;
  const units: [DurationUnit, number][] = [['ns', 1], ['us', 1e3], ['ms', 1e6], ['s', 1e9]];
  let i = a < 1e3 ? 0 : a < 1e6 ? 1 : a < 1e9 ? 2 : 3;
  let text = (a / units[i][1]).toFixed(3);
  // Rounding may carry into the next unit (999999.9ns -> "1000.000us" -> "1ms").
  if (i < 3 && Number(text) >= 1000) {
    i++;
    text = (a / units[i][1]).toFixed(3);
  }
  return `${sign}${trim(text)}${units[i][0]}`;
}

/** The most helpful explanation for a string DURATION_PATTERN refuses. */
function whyInvalid(s: string): string {
  const t = s.trim();
  if (t === '') return `empty; ${HINT}`;
  if (t !== s && DURATION_PATTERN.test(t)) return `no spaces allowed: "${t}"`;
  if (/^-/.test(t)) return 'must not be negative';
  if (/^[0-9]+(\.[0-9]+)?$/.test(t)) return `missing unit (ns, us, ms or s), e.g. "${t}ms"`;
  const nu = /^([0-9.eE+-]+)\s*([^0-9\s.]+)$/.exec(t);
  if (nu !== null) {
    const [, num, unit] = nu;
    if (/\s/.test(t)) {
      const joined = num + unit;
      if (DURATION_PATTERN.test(joined)) return `no space between number and unit: "${joined}"`;
    }
    if (/^\.[0-9]+$/.test(num)) return `write a digit before the point: "0${num}${unit}"`;
    if (/[eE+]/.test(num)) return `plain decimal numbers only (no exponent or sign); ${HINT}`;
    if (!/^[0-9]+(\.[0-9]+)?$/.test(num)) return `"${num}" is not a number; ${HINT}`;
    if (unit === 'µs' || unit === 'μs') return `write "us" for microseconds: "${num}us"`;
    if (/^(m|min|mins|minutes?|h|hours?)$/i.test(unit)) return `minutes and hours are not supported; use seconds, e.g. "60s"`;
    if (DURATION_PATTERN.test(num + unit.toLowerCase())) return `units are lower case: "${num}${unit.toLowerCase()}"`;
    return `unknown unit "${unit}" (units: ns, us, ms, s)`;
  }
  return HINT;
}

function trim(x: string): string {
  return x.includes('.') ? x.replace(/0+$/, '').replace(/\.$/, '') : x;
}

function describe(v: unknown): string {
  return v === undefined ? 'undefined' : typeof v === 'string' ? show(v) : String(JSON.stringify(v) ?? v).slice(0, 60);
}

/** A duration string as a message shows it: quoted, at most 60 characters, then "…" and its length. */
function show(s: string): string {
  return s.length <= 60 ? JSON.stringify(s) : `${JSON.stringify(s.slice(0, 60)).slice(0, -1)}…" (${s.length} chars)`;
}
