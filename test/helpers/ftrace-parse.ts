/**
 * Parsing ftrace text (`cat /sys/kernel/tracing/trace`, `trace-cmd report`, `proxysim run --trace`) back
 * into records. Used by the tests and by anyone post-processing a trace.
 *
 * A line has the kernel's shape (trace_print_context()):
 *   <comm>-<pid> [(<tgid>)] [<cpu>] [<flags>] <sec>.<usec>: <event>: <args>
 * The comm may contain '-' (and, in the kernel, spaces): the pid is the digits after the LAST '-' that is
 * followed by the pid, the optional tgid column and ` [<cpu>]`. The irq-info flags column (`d..2.`,
 * 4 or 5 characters) and the tgid column (`(  123)` / `(-------)`) are optional.
 *
 * <args> are split into `key=value` fields: a value runs up to the next ` key=` (so a comm with spaces
 * survives); sched_switch's ` ==> ` separator is dropped. tracing_mark_write (and the kernel's `print`)
 * payloads are not split: they are kept raw in fields.buf (the name of the kernel's print-event field);
 * parseAtrace() reads the atrace `B|pid|name` / `E|pid` / `C|pid|name|value` / `I|pid|name` forms.
 * Comment lines (#) and blank lines are skipped; any other line that does not parse throws, naming the line.
 */

export interface FtraceRecord {
  /** 1-based line number in the text */
  line: number;
  comm: string;
  pid: number;
  /** the tgid column when present (`(-------)` gives null) */
  tgid?: number | null;
  cpu: number;
  /** the irq-info flags column (e.g. `d..2.`), when present */
  flags?: string;
  /** seconds */
  ts: number;
  event: string;
  /** key=value fields in the order printed; tracing_mark_write/print: { buf: <raw payload> } */
  fields: Record<string, string>;
  /** the text after `<event>: `, unparsed */
  args: string;
}

// <comm>-<pid> [(<tgid>)] [<cpu>] [<flags>] <ts>: <event>:[ <args>]
// (.+) is greedy, so the pid is taken after the last '-' that the rest of the line accepts.
const LINE = /^\s*(.+)-(\d+)\s+(?:\(\s*(\d+|-+)\)\s+)?\[(\d+)\]\s+(?:(?!\d+\.\d+:)(\S{4,5})\s+)?(\d+\.\d+):\s+([^\s:]+):(?:\s(.*))?$/;
const KEY = /(?:^|\s)([A-Za-z_][A-Za-z0-9_]*)=/g;

/** Events whose payload is free text (trace_marker writes). */
const RAW_EVENTS = new Set(['tracing_mark_write', 'print', '0']);

/** `key=value key=value ...` into fields, in order; text before the first key is ignored (kept in args). */
export function parseFields(args: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of args.split(/\s+==>\s+/)) {
    const keys: { key: string; from: number; to: number }[] = [];
    KEY.lastIndex = 0;
    for (let m = KEY.exec(part); m; m = KEY.exec(part)) {
      keys.push({ key: m[1], from: m.index, to: m.index + m[0].length });
    }
    keys.forEach((k, i) => {
      const end = i + 1 < keys.length ? keys[i + 1].from : part.length;
      out[k.key] = part.slice(k.to, end).trimEnd();
    });
  }
  return out;
}

/** One line; null for a comment or blank line; throws if it is neither and does not parse. */
export function parseFtraceLine(text: string, lineNo = 0): FtraceRecord | null {
  const t = text.replace(/\r$/, '');
  if (/^\s*(#|$)/.test(t)) return null;
  const m = LINE.exec(t);
  if (!m) throw new Error(`ftrace line ${lineNo}: not <comm>-<pid> [<cpu>] <flags> <ts>: <event>: <args>: ${JSON.stringify(t)}`);
  const [, comm, pid, tgid, cpu, flags, ts, event, rest] = m;
  const args = rest ?? '';
  const rec: FtraceRecord = {
    line: lineNo, comm, pid: Number(pid), cpu: Number(cpu), ts: Number(ts), event,
    fields: RAW_EVENTS.has(event) ? { buf: args } : parseFields(args), args,
  };
  if (tgid !== undefined) rec.tgid = /^\d+$/.test(tgid) ? Number(tgid) : null;
  if (flags !== undefined) rec.flags = flags;
  return rec;
}

/** Every event line of an ftrace text; throws on the first line that does not parse. */
export function parseFtrace(text: string): FtraceRecord[] {
  const out: FtraceRecord[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const r = parseFtraceLine(lines[i], i + 1);
    if (r) out.push(r);
  }
  return out;
}

export interface AtraceMark {
  phase: string;
  pid: number;
  name?: string;
  value?: number;
}

/**
 * An atrace payload of tracing_mark_write: `B|pid|name`, `E|pid`, `C|pid|name|value`, `I|pid|name`,
 * `S|pid|name|cookie` / `F|pid|name|cookie`; null for free text.
 */
export function parseAtrace(buf: string): AtraceMark | null {
  const m = /^([BEICSF])\|(\d+)(?:\|(.*))?$/.exec(buf.trimEnd());
  if (!m) return null;
  const [, phase, pid, rest] = m;
  const mark: AtraceMark = { phase, pid: Number(pid) };
  if (phase === 'E') return rest === undefined || rest === '' ? mark : null;
  if (rest === undefined || rest === '') return null;
  if (phase === 'C' || phase === 'S' || phase === 'F') {
    const k = rest.lastIndexOf('|');
    if (k <= 0 || !/^-?\d+$/.test(rest.slice(k + 1))) return null;
    mark.name = rest.slice(0, k);
    mark.value = Number(rest.slice(k + 1));
  } else {
    mark.name = rest;
  }
  return mark;
}
