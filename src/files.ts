/**
 * Output files. Everything proxysim writes goes through here:
 *  - writeFileAtomic(): a temporary file in the same folder, then rename (the temporary file is removed
 *    when the write fails); an existing non-regular file (/dev/stdout, a FIFO) is written in place.
 *  - safeName(): the ONE place where a name from the input (a scenario, a strategy, a metric, a
 *    violation id) becomes part of a file name.
 *  - ensureDir(): creates a folder one level at a time (Node's recursive mkdir loops forever under
 *    /proc), refusing /proc and /sys.
 *  - probeDir() / probeFile(): checked before a long run that its outputs can be written, leaving
 *    nothing behind.
 * A failure is a WriteError (exit 73, one line): `<what>: cannot write <path>: <why>`.
 */
import { createHash } from 'node:crypto';
import { accessSync, constants, mkdirSync, realpathSync, renameSync, statSync, unlinkSync, writeFileSync, type Stats } from 'node:fs';
import { dirname, join, parse, resolve, sep } from 'node:path';
import { WriteError } from './errors.ts';

// ---------------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------------

/** The longest name safeName() returns. */
export const NAME_MAX = 64;
/** The separator of the parts of a composed file name (strategy__scenario__metric). */
export const NAME_SEP = '__';

const HASH_CHARS = 10;

/** A name safeName() keeps as it is: [A-Za-z0-9._-], starting with a letter or digit (no leading dot
 *  or dash), not ending with '_', no '__' (so parts joined with NAME_SEP split back unambiguously). */
function keeps(name: string, max: number): boolean {
  return name.length <= max && /^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9.-])?$/.test(name) && !name.includes(NAME_SEP);
}

/**
 * A name from the input as one safe file-name component: characters [A-Za-z0-9._-] only, no path
 * separator, no leading dot or dash, at most `max` characters. A name that is already safe is kept;
 * any other gets a short hash of the original appended (`../../x` -> `x-3f2a...`), so two different
 * names do not end up as the same file.
 */
export function safeName(name: string, max = NAME_MAX): string {
  if (keeps(name, max)) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, HASH_CHARS);
  const room = Math.max(0, max - HASH_CHARS - 1);
  const s = name.replace(/[^A-Za-z0-9.-]+/g, '_').replace(/^[^A-Za-z0-9]+/, '').slice(0, room).replace(/_+$/, '');
  return s ? `${s}-${hash}` : hash;
}

/** Names joined with NAME_SEP, each made safe: `safeName(a)__safeName(b)...` plus `ext` as given. */
export function safeFileName(parts: readonly string[], ext = ''): string {
  return parts.map((p) => safeName(p)).join(NAME_SEP) + ext;
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

const WHY: Record<string, string> = {
  EACCES: 'permission denied', EPERM: 'operation not permitted', EROFS: 'read-only file system',
  ENOSPC: 'no space left on device', EDQUOT: 'disk quota exceeded', ENOTDIR: 'a parent is not a folder',
  EISDIR: 'it is a folder', ENOENT: 'no such file or folder', ENAMETOOLONG: 'name too long', EEXIST: 'already exists',
  EMFILE: 'too many open files', EIO: 'input/output error', EFBIG: 'file too large', ELOOP: 'too many symbolic links',
};

/** `what: cannot write path: why` (what may be empty). */
function writeError(what: string | undefined, path: string, e: unknown, verb = 'write'): WriteError {
  const code = (e as NodeJS.ErrnoException)?.code;
  const why = (code && WHY[code]) ?? String((e as Error)?.message ?? e).split('\n')[0];
  return new WriteError(`${what ? `${what}: ` : ''}cannot ${verb} ${path}: ${why}${code && WHY[code] ? ` (${code})` : ''}`, path, { cause: e });
}

const refuse = (what: string | undefined, path: string, why: string, verb = 'write'): WriteError =>
  new WriteError(`${what ? `${what}: ` : ''}cannot ${verb} ${path}: ${why}`, path);

function statOrNull(p: string): Stats | null {
  try {
    return statSync(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null; // ENOTDIR: a parent is a file (told by the walk)
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// Folders
// ---------------------------------------------------------------------------------------------

/** Kernel pseudo file systems: nothing proxysim writes belongs there (and a recursive mkdir loops). */
const PSEUDO = ['/proc', '/sys'];
/** The deepest folder ensureDir() creates (a bound on the walk). */
const MAX_DEPTH = 256;

function pseudoRoot(abs: string): string | null {
  return PSEUDO.find((r) => abs === r || abs.startsWith(r + '/')) ?? null;
}

/** The nearest folder of `abs` (or `abs` itself) that exists, by a bounded walk up. */
function nearestExisting(abs: string): { path: string; st: Stats } {
  let cur = abs;
  for (let k = 0; k <= MAX_DEPTH; k++) {
    const st = statOrNull(cur);
    if (st) return { path: cur, st };
    const up = dirname(cur);
    if (up === cur) break;
    cur = up;
  }
  throw new Error(`no existing ancestor of ${abs}`);
}

/** Refuse /proc and /sys, by the path given and by where its nearest existing ancestor really is. */
function checkNotPseudo(dir: string, abs: string, what: string | undefined, verb: string): void {
  const r = pseudoRoot(abs);
  if (r) throw refuse(what, dir, `${r} is a kernel pseudo file system, not a place for output`, verb);
  let real: string;
  try {
    real = realpathSync(nearestExisting(abs).path);
  } catch {
    return; // the walk itself fails below, with its own message
  }
  const rr = pseudoRoot(real);
  if (rr) throw refuse(what, dir, `it is under ${rr} (a kernel pseudo file system), not a place for output`, verb);
}

/**
 * Make the folder `dir` (and its parents), one level at a time. Throws a WriteError when a parent is a
 * file, a level cannot be created, or the folder is under /proc or /sys.
 */
export function ensureDir(dir: string, what?: string): void {
  const abs = resolve(dir);
  checkNotPseudo(dir, abs, what, 'create');
  const here = statOrNull(abs);
  if (here?.isDirectory()) return;
  const root = parse(abs).root;
  const parts = abs.slice(root.length).split(sep).filter(Boolean);
  if (parts.length > MAX_DEPTH) throw refuse(what, dir, `more than ${MAX_DEPTH} levels deep`, 'create');
  let cur = root;
  for (const p of parts) {
    cur = join(cur, p);
    let st: Stats | null;
    try {
      st = statOrNull(cur);
      if (!st) {
        try {
          mkdirSync(cur);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        }
        st = statSync(cur);
      }
    } catch (e) {
      throw writeError(what, dir, e, 'create');
    }
    if (!st.isDirectory()) throw refuse(what, dir, `${cur} is not a folder`, 'create');
  }
}

/**
 * Before a long run: can the folder `dir` be created (or, if it is there, written)? Creates nothing
 * that stays: an existing folder gets a small probe file, written and removed; for a missing one,
 * its nearest existing parent must be a writable folder. Throws a WriteError.
 */
export function probeDir(dir: string, what?: string): void {
  probe(dir, dir, what, 'create');
}

/** probeDir() of `dir`, its problems told about `shown` (the folder itself, or a file to be written in it). */
function probe(dir: string, shown: string, what: string | undefined, verb: string): void {
  const abs = resolve(dir);
  checkNotPseudo(shown, abs, what, verb);
  let near: { path: string; st: Stats };
  try {
    near = nearestExisting(abs);
  } catch (e) {
    throw writeError(what, shown, e, verb);
  }
  if (!near.st.isDirectory()) {
    throw refuse(what, shown, near.path === abs && shown === dir ? 'it is not a folder' : `${near.path} is not a folder`, verb);
  }
  if (near.path !== abs) {
    try {
      accessSync(near.path, constants.W_OK | constants.X_OK);
    } catch (e) {
      throw writeError(what, shown, e, verb);
    }
    return;
  }
  // the folder is there: write a little (a full disk refuses data, not always an empty file)
  const file = join(abs, `.proxysim-probe-${process.pid}-${Date.now()}`);
  try {
    writeFileSync(file, Buffer.alloc(4096));
  } catch (e) {
    try { unlinkSync(file); } catch { /* not created */ }
    throw writeError(what, shown, e, verb === 'create' ? 'write' : verb);
  }
  try { unlinkSync(file); } catch { /* removed already */ }
}

/** What stands at `path` now (null: nothing yet); a folder there cannot be written as a file. */
function targetOf(path: string, what?: string): Stats | null {
  let st: Stats | null;
  try {
    st = statOrNull(path);
  } catch (e) {
    throw writeError(what, path, e);
  }
  if (st?.isDirectory()) throw refuse(what, path, 'it is a folder');
  return st;
}

/** Before a long run: can the file `path` be written (its folder created if need be)? See probeDir(). */
export function probeFile(path: string, what?: string): void {
  const st = targetOf(path, what);
  if (st && !st.isFile()) {
    // a device or a FIFO (/dev/stdout): written in place
    try { accessSync(path, constants.W_OK); } catch (e) { throw writeError(what, path, e); }
    return;
  }
  probe(dirname(resolve(path)), path, what, 'write');
}

// ---------------------------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------------------------

/**
 * Write `path` atomically: a temporary file `<path>.tmp-<pid>-<ms>` in the same folder, then rename;
 * the temporary file is removed if anything fails. The folder is created if need be. An existing
 * non-regular file (a device such as /dev/stdout, a FIFO) is written in place: a rename would replace it.
 * Throws a WriteError (`what` names the output, e.g. '--trace').
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, what?: string): void {
  ensureDir(dirname(path) || '.', what);
  const st = targetOf(path, what);
  if (st && !st.isFile()) {
    try {
      writeFileSync(path, data);
    } catch (e) {
      throw writeError(what, path, e);
    }
    return;
  }
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    try { unlinkSync(tmp); } catch { /* never created */ }
    throw writeError(what, path, e);
  }
}
