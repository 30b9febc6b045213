import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CharTokenizer } from '@rr/model';
import type { DataSource } from './documents.js';
import { MixSchedule } from './mix-schedule.js';
import { type DataPosition, TokenPacker } from './packer.js';

const dir = mkdtempSync(join(tmpdir(), 'rr-mix-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const tok = new CharTokenizer('abcdefghij0123456789');

/** A jsonl file of `n` documents "<letter><4-digit index>": every document is 7 tokens with BOS and EOS. */
function source(name: string, letter: string, n: number, offset = 0): string {
  const path = join(dir, `${name}.jsonl`);
  writeFileSync(path, `${Array.from({ length: n }, (_, i) => JSON.stringify({ text: `${letter}${String(offset + i).padStart(4, '0')}` })).join('\n')}\n`);
  return path;
}

/** One row per document (rows of 7 tokens), decoded: "a0012", ... */
async function documents(packer: TokenPacker, n: number): Promise<string[]> {
  const { tokens } = await packer.nextRows(n);
  return Array.from({ length: n }, (_, i) => tok.decode([...tokens.subarray(i * 7, i * 7 + 7)]));
}

const general = source('general', 'a', 997);
const math = source('math', 'b', 211);
const instruct = source('instruct', 'c', 53);

describe('weighted mixing', () => {
  it('shuffles the same wherever the data sits: the same files in another folder give the same rows', async () => {
    const elsewhere = join(dir, 'elsewhere');
    mkdirSync(elsewhere, { recursive: true });
    const moved = [general, math].map((path) => {
      const to = join(elsewhere, path.slice(dir.length + 1));
      writeFileSync(to, readFileSync(path));
      return to;
    });
    const rows = async ([a, b]: string[]): Promise<string[]> => {
      const sources: DataSource[] = [
        { path: a!, weight: 2 },
        { path: b!, weight: 1 },
      ];
      return documents(new TokenPacker(sources, tok, 7, { seed: 5, shuffle: true }), 300);
    };
    expect(await rows(moved)).toEqual(await rows([general, math]));
  });

  it('realises the weights within 1% over 10,000 documents (and exactly at every block)', async () => {
    const sources: DataSource[] = [
      { path: general, weight: 5 },
      { path: math, weight: 3 },
      { path: instruct, weight: 2 },
    ];
    const packer = new TokenPacker(sources, tok, 7, { seed: 11, shuffle: true });
    const docs = await documents(packer, 10_000);
    const counts = { a: 0, b: 0, c: 0 } as Record<string, number>;
    for (const d of docs) counts[d[0]!]!++;
    expect(Math.abs(counts.a! / 10_000 - 0.5)).toBeLessThan(0.01);
    expect(Math.abs(counts.b! / 10_000 - 0.3)).toBeLessThan(0.01);
    expect(Math.abs(counts.c! / 10_000 - 0.2)).toBeLessThan(0.01);
    // the packer reports the same counts, in documents and tokens
    const mix = packer.mix();
    expect(mix.map((m) => m.documents)).toEqual([counts.a, counts.b, counts.c]);
    expect(mix.map((m) => m.tokens)).toEqual([counts.a! * 7, counts.b! * 7, counts.c! * 7]);
    expect(mix.map((m) => m.weight)).toEqual([0.5, 0.3, 0.2]);
    // blocks of 64: after k blocks of a 1:1:1 schedule each source has had exactly floor(64k/3) documents
    const schedule = new MixSchedule([1, 1, 1], 4);
    const seen = [0, 0, 0];
    for (let k = 1, i = 0; k <= 50; k++) {
      const share = Math.floor((64 * k) / 3);
      for (; i < 3 * share; i++) seen[schedule.sourceOf(i)]!++;
      expect(seen).toEqual([share, share, share]);
    }
  });

  it('interleaves sources in a seeded order: shuffled across sources, not in turns or runs', async () => {
    const a = new MixSchedule([1, 1], 1);
    const b = new MixSchedule([1, 1], 2);
    const first = Array.from({ length: 2000 }, (_, i) => a.sourceOf(i));
    const other = Array.from({ length: 2000 }, (_, i) => b.sourceOf(i));
    expect(first).not.toEqual(other);
    expect(Array.from({ length: 2000 }, (_, i) => new MixSchedule([1, 1], 1).sourceOf(i))).toEqual(first);
    // neither strict alternation nor long runs: about half of the neighbours differ, as in a fair coin sequence
    const switches = first.slice(1).filter((s, i) => s !== first[i]).length;
    expect(switches).toBeGreaterThan(800);
    expect(switches).toBeLessThan(1200);
    let run = 1;
    let longest = 1;
    for (let i = 1; i < first.length; i++) longest = Math.max(longest, (run = first[i] === first[i - 1] ? run + 1 : 1));
    expect(longest).toBeLessThan(20);
  });

  it('shuffles within a source: every epoch is a new permutation of all its documents', async () => {
    const packer = new TokenPacker([{ path: math }], tok, 7, { seed: 3, shuffle: true });
    const epoch1 = await documents(packer, 211);
    const epoch2 = await documents(packer, 211);
    const inOrder = Array.from({ length: 211 }, (_, i) => `b${String(i).padStart(4, '0')}`);
    expect([...epoch1].sort()).toEqual(inOrder);
    expect([...epoch2].sort()).toEqual(inOrder);
    expect(epoch1).not.toEqual(inOrder);
    expect(epoch2).not.toEqual(epoch1);
    // without shuffle: file order
    expect(await documents(new TokenPacker([{ path: math }], tok, 7), 211)).toEqual(inOrder);
  });

  it('a folder source is its files, shuffled in order per epoch', async () => {
    const shards = join(dir, 'shards');
    mkdirSync(shards);
    const paths = [0, 1, 2].map((k) => {
      const p = join(shards, `shard-${k}.jsonl`);
      writeFileSync(p, Array.from({ length: 5 }, (_, i) => JSON.stringify({ text: `d${k}${String(i).padStart(3, '0')}` })).join('\n'));
      return p;
    });
    expect(paths).toHaveLength(3);
    const docs = await documents(new TokenPacker([{ path: shards }], tok, 7, { seed: 5, shuffle: true }), 15);
    expect([...docs].sort()).toEqual([0, 1, 2].flatMap((k) => Array.from({ length: 5 }, (_, i) => `d${k}${String(i).padStart(3, '0')}`)));
    // a file is read whole before the next: each run of 5 comes from one shard
    for (let j = 0; j < 15; j += 5) expect(new Set(docs.slice(j, j + 5).map((d) => d[1])).size).toBe(1);
  });

  it('stop + resume from a saved position gives the uninterrupted rows, mid-document and across epochs', async () => {
    const sources: DataSource[] = [
      { path: general, weight: 2 },
      { path: instruct, weight: 1 },
    ];
    // rows of 5 tokens cut documents of 7 tokens, so positions fall inside documents
    const whole = new TokenPacker(sources, tok, 5, { seed: 9, shuffle: true });
    const expected = await whole.nextRows(300);
    const first = new TokenPacker(sources, tok, 5, { seed: 9, shuffle: true });
    const head = await first.nextRows(123);
    const saved = JSON.parse(JSON.stringify(first.position)) as DataPosition;
    expect(saved.token).toBeGreaterThan(0);
    const resumed = new TokenPacker(sources, tok, 5, { seed: 9, shuffle: true, position: saved });
    const tail = await resumed.nextRows(177);
    expect([...head.tokens, ...tail.tokens]).toEqual([...expected.tokens]);
    expect(resumed.position).toEqual(whole.position);
    // instruct (53 documents) went through more than one epoch by then
    expect(resumed.position.streams[instruct]!.epoch).toBeGreaterThan(0);
  });

  it('a phase continues in each source where the previous phase stopped', async () => {
    const phase1 = new TokenPacker([{ path: general }], tok, 5, { seed: 2, shuffle: true });
    const used = await phase1.nextRows(40); // 200 tokens: 28 whole documents and part of the 29th
    const usedDocs = new Set(tok.decode([...used.tokens].filter((t) => t > 2)).match(/a\d{4}/g));
    const start = await phase1.continuation();
    expect(start.streams[general]).toEqual({ epoch: 0, file: 0, document: 29 });
    const phase2 = new TokenPacker([{ path: general }, { path: math }], tok, 7, { seed: 2, shuffle: true, position: start });
    const next = (await documents(phase2, 200)).filter((d) => d.startsWith('a'));
    expect(next.length).toBeGreaterThan(50);
    for (const d of next) expect(usedDocs.has(d)).toBe(false);
    // and they are the very documents phase 1 would have gone on to
    const uninterrupted = new TokenPacker([{ path: general }], tok, 7, { seed: 2, shuffle: true });
    const order = await documents(uninterrupted, 29 + next.length);
    expect(order.slice(29)).toEqual(next);
  });

  it('mixBy tokens shares out tokens rather than documents: long documents come less often', async () => {
    const long = join(dir, 'long.jsonl');
    writeFileSync(
      long,
      `${Array.from({ length: 300 }, (_, i) => JSON.stringify({ text: `c${String(i).padStart(4, '0')}abcdefghijabcdefghij` })).join('\n')}\n`,
    );
    const sources: DataSource[] = [
      { path: general, weight: 1 },
      { path: long, weight: 1 },
    ];
    // documents of 7 and 27 tokens at 1:1 by tokens: about 27 short documents for every 7 long ones
    const packer = new TokenPacker(sources, tok, 100, { seed: 4, shuffle: true, mixBy: 'tokens' });
    await packer.nextRows(1000);
    const mix = packer.mix();
    for (const m of mix) expect(Math.abs(m.tokenShare - 0.5)).toBeLessThan(0.01);
    expect(mix[0]!.documents / mix[1]!.documents).toBeGreaterThan(3.5);
    expect(mix[0]!.documents + mix[1]!.documents).toBeGreaterThan(5000);
    // interleaved, and resumable bit for bit from any position
    const whole = new TokenPacker(sources, tok, 5, { seed: 4, shuffle: true, mixBy: 'tokens' });
    const expected = await whole.nextRows(400);
    const first = new TokenPacker(sources, tok, 5, { seed: 4, shuffle: true, mixBy: 'tokens' });
    const head = await first.nextRows(157);
    const saved = JSON.parse(JSON.stringify(first.position)) as DataPosition;
    expect(saved.token).toBeGreaterThan(0);
    const tail = await new TokenPacker(sources, tok, 5, { seed: 4, shuffle: true, mixBy: 'tokens', position: saved }).nextRows(243);
    expect([...head.tokens, ...tail.tokens]).toEqual([...expected.tokens]);
  });

  it('rejects a data position in an older format with a clear error', () => {
    const old = { epoch: 0, file: 0, document: 3, token: 0 } as unknown as DataPosition;
    expect(() => new TokenPacker([{ path: math }], tok, 7, { position: old })).toThrowError(expect.objectContaining({ code: 'CHECKPOINT_INVALID' }));
  });

  it('rejects a source listed twice and a non-positive weight', () => {
    expect(() => new TokenPacker([{ path: math }, { path: math }], tok, 7)).toThrow(/listed twice/);
    expect(() => new TokenPacker([{ path: math, weight: 0 }], tok, 7)).toThrow(/positive/);
  });
});
