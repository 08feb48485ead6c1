import { describe, expect, it } from 'vitest';
import { Arena, LayoutMismatchError } from '../../src/shm/arena.ts';
import {
  ARENA_MAGIC, EVENT, H, HEADER, MUTEX, RQ, TASK, layoutHash, regionsOf,
  type FieldKind, type Geometry, type StructLayout,
} from '../../src/shm/layout.ts';

// Odd sizes on purpose: an odd i32 length exercises the 8-byte alignment of the f64 view.
const G: Geometry = { nr_cpus: 3, nr_tasks: 7, nr_mutexes: 2, prog_len: 9, ring_size: 4 };

const STRUCTS = [HEADER, TASK, RQ, MUTEX, EVENT] as StructLayout<string>[];

/** slot -> field name, per kind; throws on a slot used twice */
function slotMap(s: StructLayout<string>, kind: FieldKind): string[] {
  const stride = kind === 'i32' ? s.i32Stride : s.f64Stride;
  const slots: (string | undefined)[] = new Array(stride).fill(undefined);
  for (const f of s.fields) {
    if (f.kind !== kind) continue;
    const off = (s.off as Record<string, number>)[f.name];
    for (let k = 0; k < (f.len ?? 1); k++) {
      if (off + k >= stride) throw new Error(`${s.name}.${f.name}[${k}] at ${off + k} is beyond the stride ${stride}`);
      if (slots[off + k] !== undefined) throw new Error(`${s.name}: slot ${kind}[${off + k}] used by ${slots[off + k]} and ${f.name}`);
      slots[off + k] = f.name;
    }
  }
  return slots.map((x, k) => x ?? `<hole ${k}>`);
}

describe('layout', () => {
  for (const s of STRUCTS) {
    it(`${s.name}: every field has its own slots, the strides are exactly covered, kinds match the table`, () => {
      const i = slotMap(s, 'i32');
      const d = slotMap(s, 'f64');
      expect(i.filter((x) => x.startsWith('<hole'))).toEqual([]);
      expect(d.filter((x) => x.startsWith('<hole'))).toEqual([]);
      const total = (k: FieldKind): number => s.fields.filter((f) => f.kind === k).reduce((n, f) => n + (f.len ?? 1), 0);
      expect(s.i32Stride).toBe(total('i32'));
      expect(s.f64Stride).toBe(total('f64'));
      for (const f of s.fields) expect((s.kind as Record<string, FieldKind>)[f.name]).toBe(f.kind);
      expect(new Set(s.fields.map((f) => f.name)).size).toBe(s.fields.length);
    });
  }

  it('puts the fields the kernel code uses atomically in i32 slots and times in f64 slots', () => {
    for (const n of ['__state', 'on_rq', 'on_cpu', 'cpu', 'blocked_on', 'pi_lock', 'blocked_lock', 'list_cpu'] as const) {
      expect(TASK.kind[n]).toBe('i32');
    }
    for (const n of ['vruntime', 'sum_exec_runtime', 'exec_start', 'timer_expires', 'wake_time'] as const) {
      expect(TASK.kind[n]).toBe('f64');
    }
    expect(RQ.kind.lock).toBe('i32');
    expect(RQ.kind.clock).toBe('f64');
    expect(RQ.kind.min_vruntime).toBe('f64');
    expect(MUTEX.kind.owner).toBe('i32');
    expect(HEADER.kind.t0).toBe('f64');
    // the header's first two i32 slots are what attach() reads before it knows anything else
    expect(H.magic).toBe(0);
    expect(H.layout_hash).toBe(1);
    // arrays inside a struct take len consecutive slots
    expect(TASK.off.loop_stack + 8).toBe(TASK.off.held_mask);
    expect(RQ.off.held + 8).toBe(RQ.off.in_schedule);
  });

  it('layoutHash is stable and depends on the field tables', () => {
    expect(layoutHash()).toBe(layoutHash());
    expect(Number.isInteger(layoutHash())).toBe(true);
    expect(layoutHash()).not.toBe(0);
  });
});

describe('Arena.attach', () => {
  it('attaches to an arena of this build and sees the same geometry and memory', () => {
    const a = Arena.create(G);
    a.i32[a.t(4) + TASK.off.prio] = 77;
    const b = Arena.attach(a.sab);
    expect(b.g).toEqual(G);
    expect(b.r).toEqual(a.r);
    expect(b.i32[b.t(4) + TASK.off.prio]).toBe(77);
    expect(b.hdr('magic')).toBe(ARENA_MAGIC);
    expect(b.hdr('layout_hash')).toBe(layoutHash());
  });

  it('refuses an arena whose layout hash was altered, naming both hashes', () => {
    const a = Arena.create(G);
    const bad = (layoutHash() + 1) | 0;
    a.setHdr('layout_hash', bad);
    let err: unknown;
    try { Arena.attach(a.sab); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(LayoutMismatchError);
    const msg = (err as Error).message;
    expect(msg).toContain('layout hash');
    expect(msg).toContain(String(bad >>> 0));
    expect(msg).toContain(String(layoutHash() >>> 0));
    expect(msg).toContain('refusing to attach');
  });

  it('refuses a buffer that is not an arena (bad magic)', () => {
    const a = Arena.create(G);
    a.setHdr('magic', 0x12345678);
    expect(() => Arena.attach(a.sab)).toThrow(LayoutMismatchError);
    expect(() => Arena.attach(a.sab)).toThrow(/bad magic/);
    expect(() => Arena.attach(new SharedArrayBuffer(4096))).toThrow(/not a proxysim arena/);
  });

  it('rejects a ring size that is not a power of two', () => {
    expect(() => Arena.create({ ...G, ring_size: 6 })).toThrow(/power of two/);
  });
});

describe('regions', () => {
  const r = regionsOf(G);
  // [name, first slot, length] of every region, per view
  const i32Regions: [string, number, number][] = [
    ['header', r.headerI, HEADER.i32Stride],
    ['task', r.taskI, TASK.i32Stride * G.nr_tasks],
    ['rq', r.rqI, RQ.i32Stride * G.nr_cpus],
    ['rqQueue', r.rqQueue, G.nr_tasks * G.nr_cpus],
    ['mutex', r.mutexI, MUTEX.i32Stride * G.nr_mutexes],
    ['mutexWait', r.mutexWait, G.nr_tasks * G.nr_mutexes],
    ['prog', r.prog, G.prog_len * G.nr_tasks],
    ['ring', r.ringI, EVENT.i32Stride * G.ring_size * G.nr_cpus],
  ];
  const f64Regions: [string, number, number][] = [
    ['headerD', r.headerD, HEADER.f64Stride],
    ['taskD', r.taskD, TASK.f64Stride * G.nr_tasks],
    ['rqD', r.rqD, RQ.f64Stride * G.nr_cpus],
    ['ringD', r.ringD, G.ring_size * G.nr_cpus],
  ];

  it('tile each view exactly, in order, without gaps', () => {
    let i = 0;
    for (const [name, start, len] of i32Regions) { expect(start, name).toBe(i); i += len; }
    expect(r.i32Len).toBe(i);
    let d = 0;
    for (const [name, start, len] of f64Regions) { expect(start, name).toBe(d); d += len; }
    expect(r.f64Len).toBe(d);
  });

  it('a sentinel in the last slot of each region leaves every other slot unchanged', () => {
    const a = Arena.create(G);
    const i32Before = Array.from(a.i32);
    const f64Before = Array.from(a.f64);
    // write every region's sentinel first, then read them all back: an overlap loses one
    i32Regions.forEach(([, start, len], k) => { a.i32[start + len - 1] = -1000 - k; });
    f64Regions.forEach(([, start, len], k) => { a.f64[start + len - 1] = 0.5 + k; });
    const mine = new Set<number>();
    i32Regions.forEach(([name, start, len], k) => {
      expect(a.i32[start + len - 1], `${name} sentinel`).toBe(-1000 - k);
      mine.add(start + len - 1);
    });
    a.i32.forEach((v, i) => { if (!mine.has(i)) expect(v, `i32[${i}]`).toBe(i32Before[i]); });
    const mineD = new Set<number>();
    f64Regions.forEach(([name, start, len], k) => {
      expect(a.f64[start + len - 1], `${name} sentinel`).toBe(0.5 + k);
      mineD.add(start + len - 1);
    });
    a.f64.forEach((v, i) => { if (!mineD.has(i)) expect(v, `f64[${i}]`).toBe(f64Before[i]); });
    // the same with a distinct fill per region: each region reads back only its own value
    i32Regions.forEach(([name, start, len], k) => { if (name !== 'header') a.i32.fill(k + 1, start, start + len); });
    i32Regions.forEach(([name, start, len], k) => {
      if (name === 'header') return;
      expect(Array.from(a.i32.subarray(start, start + len)).every((v) => v === k + 1), name).toBe(true);
    });
    // header fields are intact, and a fresh attach still works
    expect(Arena.attach(a.sab).g).toEqual(G);
  });

  it('the i32 and f64 views do not share bytes and fit the buffer', () => {
    const a = Arena.create(G);
    expect(a.i32.byteOffset + a.i32.byteLength).toBeLessThanOrEqual(a.f64.byteOffset);
    expect(a.f64.byteOffset % 8).toBe(0);
    expect(a.f64.byteOffset + a.f64.byteLength).toBe(a.sab.byteLength);
    expect(a.sab.byteLength).toBe(Arena.bytesFor(G));
    a.i32.fill(0x5a5a5a5a, HEADER.i32Stride);
    const before = Array.from(a.i32);
    a.f64.fill(-1);
    expect(Array.from(a.i32)).toEqual(before);
    expect(Array.from(a.f64).every((x) => x === -1)).toBe(true);
    expect(a.hdr('magic')).toBe(ARENA_MAGIC);
  });

  it('every struct accessor of the last element stays inside its own region', () => {
    const a = Arena.create(G);
    const inside = (name: string, i: number, len: number): void => {
      const reg = i32Regions.find(([n]) => n === name)!;
      expect(i, name).toBeGreaterThanOrEqual(reg[1]);
      expect(i + len, name).toBeLessThanOrEqual(reg[1] + reg[2]);
    };
    inside('task', a.t(G.nr_tasks - 1), TASK.i32Stride);
    inside('rq', a.rq(G.nr_cpus - 1), RQ.i32Stride);
    inside('rqQueue', a.queue(G.nr_cpus - 1), G.nr_tasks);
    inside('mutex', a.m(G.nr_mutexes - 1), MUTEX.i32Stride);
    inside('mutexWait', a.waitList(G.nr_mutexes - 1), G.nr_tasks);
    inside('prog', a.prog(G.nr_tasks - 1), G.prog_len);
    inside('ring', a.ring(G.nr_cpus - 1), G.ring_size * EVENT.i32Stride);
    expect(a.td(G.nr_tasks - 1) + TASK.f64Stride).toBe(r.rqD);
    expect(a.rqd(G.nr_cpus - 1) + RQ.f64Stride).toBe(r.ringD);
    expect(a.ringD(G.nr_cpus - 1) + G.ring_size).toBe(r.f64Len);
    // neighbouring elements are one stride apart
    expect(a.t(1) - a.t(0)).toBe(TASK.i32Stride);
    expect(a.rq(1) - a.rq(0)).toBe(RQ.i32Stride);
    expect(a.m(1) - a.m(0)).toBe(MUTEX.i32Stride);
  });
});
