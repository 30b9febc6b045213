import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LineFilter, runFilteredChild } from './stderr-filter.js';

const UNIFORM = 'Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 1000000 to 16 to fit dynamic offset allocation limit.';
const STORAGE = 'Warning: maxDynamicStorageBuffersPerPipelineLayout artificially reduced from 1000000 to 16 to fit dynamic offset allocation limit.';

/** Feeds `chunks` through a filter, recording what it passes on after each. */
function feed(chunks: string[]): { after: string[]; all: string } {
  const f = new LineFilter();
  const after = chunks.map((c) => f.push(c));
  const all = after.join('') + f.end();
  return { after, all };
}

describe('LineFilter', () => {
  it("drops Dawn's two dynamic-buffer warnings and keeps every other line", () => {
    expect(feed([`${UNIFORM}\n${STORAGE}\nrr: backend cpu\n`]).all).toBe('rr: backend cpu\n');
    expect(feed([`a\n${UNIFORM}\nb\n`]).all).toBe('a\nb\n');
    // another Dawn warning, or the same text inside another line, is not hidden
    expect(feed(['Warning: something else\n']).all).toBe('Warning: something else\n');
    expect(feed([`x ${UNIFORM}\n`]).all).toBe(`x ${UNIFORM}\n`);
  });

  it('drops a warning that arrives in pieces', () => {
    const pieces = [UNIFORM.slice(0, 3), UNIFORM.slice(3, 30), `${UNIFORM.slice(30)}\nok\n`];
    const { after, all } = feed(pieces);
    expect(after.slice(0, 2)).toEqual(['', '']);
    expect(all).toBe('ok\n');
  });

  it('passes progress lines that redraw with \\r at once, without waiting for a newline', () => {
    const { after, all } = feed(['\rstep 1/3\x1b[K', '\rstep 2/3\x1b[K', '\rstep 3/3\x1b[K\n']);
    expect(after).toEqual(['\rstep 1/3\x1b[K', '\rstep 2/3\x1b[K', '\rstep 3/3\x1b[K\n']);
    expect(all).toBe('\rstep 1/3\x1b[K\rstep 2/3\x1b[K\rstep 3/3\x1b[K\n');
  });

  it('keeps a last line without a newline', () => {
    expect(feed(['done']).all).toBe('done');
    expect(feed(['Warn']).all).toBe('Warn');
    expect(feed([UNIFORM]).all).toBe('');
  });
});

describe('the filtered child', () => {
  it('hides the warnings from a child that prints them on fd 2, keeps its other stderr and its exit code', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rr-stderr-'));
    try {
      const script = join(dir, 'noisy.mjs');
      // writes to fd 2 directly, as native code does, then exits with 3
      writeFileSync(
        script,
        `import { writeSync } from 'node:fs';\nwriteSync(2, ${JSON.stringify(`${UNIFORM}\n${STORAGE}\n`)});\nwriteSync(2, 'kept: ' + process.env.RR_STDERR_FILTERED + '\\n');\nprocess.exit(3);\n`,
      );
      let err = '';
      const code = await runFilteredChild(script, [], (s) => (err += s));
      expect(err).toBe('kept: pipe\n');
      expect(code).toBe(3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
