/**
 * How a one-line message shows what the user gave: cut to a readable length (a 1 MB value is not
 * echoed whole), quoted on one line, and the suggestion every "unknown X" message ends with (one
 * close candidate by edit distance, or nothing). Shared by the flag parser and the scenario checks.
 */

/** "; did you mean X?" when one candidate is close (edit distance <= 2, less for short words), else "". */
export function didYouMean(input: string, candidates: readonly string[], show: (s: string) => string = (s) => JSON.stringify(s)): string {
  // (a long input is no typo, and the distance is quadratic in its length)
  if (input.length > CLIP_CHARS) return '';
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(input.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  const limit = Math.min(2, Math.floor(input.length / 3) + 1);
  if (best === undefined || best === input || bestD > limit) return '';
  // Names that differ only in a number (BUG2 vs BUG1, m1 vs m2) are different things, not typos.
  if (input.replace(/[0-9]+/g, '#') === best.replace(/[0-9]+/g, '#')) return '';
  return `; did you mean ${show(best)}?`;
}

/** Edit distance with adjacent transpositions (optimal string alignment). */
function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0];
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j];
      dp[j] = Math.min(dp[j] + 1, dp[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) dp[j] = Math.min(dp[j], prev);
      prev = tmp;
    }
  }
  return dp[b.length];
}

/** Longest piece of a value a message shows. */
export const CLIP_CHARS = 60;

/** A string cut for a message: at most CLIP_CHARS characters, then "…" and its length. */
export function clip(s: string, max = CLIP_CHARS): string {
  if (s.length <= max) return s;
  // (not in the middle of a surrogate pair)
  const cut = /[\ud800-\udbff]/.test(s[max - 1]) ? max - 1 : max;
  return `${s.slice(0, cut)}…(${s.length} chars)`;
}

/** A string in double quotes for a message, cut (clip) and escaped so it stays on one line. */
export function quote(s: string, max = CLIP_CHARS): string {
  if (s.length <= max) return JSON.stringify(s).replace(/[\u0080-\u009f\u2028\u2029]/g, escapeChar);
  return `${quote(s.slice(0, /[\ud800-\udbff]/.test(s[max - 1]) ? max - 1 : max), max).slice(0, -1)}…" (${s.length} chars)`;
}

function escapeChar(c: string): string {
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}
