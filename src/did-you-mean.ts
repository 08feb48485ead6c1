/**
 * The suggestion every "unknown X" message ends with, for flags, commands, strategies and scenario
 * keys alike: one close candidate (Damerau-Levenshtein distance, case-insensitive), or nothing.
 */

/** "; did you mean X?" when one candidate is close (edit distance <= 2, less for short words), else "". */
export function didYouMean(input: string, candidates: readonly string[], show: (s: string) => string = (s) => JSON.stringify(s)): string {
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
