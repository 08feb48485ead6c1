/** Plain-text tables for the terminal: the first `left` columns left-aligned, the rest right-aligned. */
export interface TextTableOptions {
  /** columns aligned left (default 1) */
  left?: number;
  /** a dashed rule under the header */
  rule?: boolean;
  /** a blank line between rows whose first column differs (groups) */
  groups?: boolean;
}

export function textTable(head: string[], rows: (string | number)[][], o: TextTableOptions = {}): string {
  const left = o.left ?? 1;
  const w = head.map((h, k) => Math.max(h.length, ...rows.map((r) => String(r[k]).length)));
  const line = (cells: (string | number)[]): string =>
    cells.map((c, k) => (k < left ? String(c).padEnd(w[k]) : String(c).padStart(w[k]))).join('  ').trimEnd();
  const body = rows.flatMap((r, k) => (o.groups && k > 0 && r[0] !== rows[k - 1][0] ? ['', line(r)] : [line(r)]));
  return [line(head), ...(o.rule ? [line(w.map((n) => '-'.repeat(n)))] : []), ...body].join('\n');
}
