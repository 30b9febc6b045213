import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { fixture, itWithFixtures } from '@rr/tensor/testing';

const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
const MODEL = 'models/stories260K-hf';
const TEXT = 'text/tinystories/toyrnn_tinystories_sample_2MiB.txt';

/** Runs `test` with a fresh temporary folder, removed afterwards. */
async function inTempDir(test: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'rr-interrupt-'));
  try {
    await test(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** An endless training run of the tiny fixture model in a fresh folder. */
function endlessRecipe(dir: string): string {
  const recipe = join(dir, 'endless.json');
  writeFileSync(
    recipe,
    JSON.stringify({
      out: join(dir, 'run'),
      model: { path: fixture(MODEL), plan: '1,2,1' },
      phases: [{ name: 'p', steps: 1_000_000_000, seq: 8, batch: 1, data: [{ path: fixture(TEXT) }] }],
      checkpoint: { every: 1000, keep: 1 },
    }),
  );
  return recipe;
}

/** Starts `rr train` (in its own process group, as a terminal runs it); resolves once it is training. */
interface Training {
  readonly rr: ChildProcess;
  /** Resolves with the exit code once stdout has closed. */
  readonly closed: Promise<number | null>;
  out(): string;
  err(): string;
}

async function startTraining(recipe: string): Promise<Training> {
  const rr = spawn(process.execPath, [BIN, 'train', '--recipe', recipe, '--json'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  let err = '';
  rr.stderr!.on('data', (d) => (err += d));
  // stdout closes only when every process holding it (rr and its child) has ended
  const closed = new Promise<number | null>((done) => rr.on('close', (code) => done(code)));
  await new Promise<void>((training) => {
    rr.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('"step":')) training();
    });
  });
  return { rr, closed, out: () => out, err: () => err };
}

/** A test that starts an endless `rr train` in a fresh folder and acts on it once it is training. */
function whileTraining(title: string, test: (training: Training, dir: string) => Promise<void>): void {
  itWithFixtures(title, [MODEL, TEXT], () => inTempDir(async (dir) => test(await startTraining(endlessRecipe(dir)), dir)), 60_000);
}

// `rr` runs its command in a child (the stderr filter). A SIGKILL of `rr` cannot be forwarded, so
// the child must notice on its own: otherwise it trains on unseen and holds our stdout pipe open.
whileTraining('a SIGKILL of rr during training ends the command: nothing runs on and its output closes', async ({ rr, closed, out }) => {
  rr.kill('SIGKILL');
  // with an orphaned child this never resolves and the test times out
  await closed;
  expect(out()).toContain('"step":');
});

// Ctrl-C in a terminal signals the whole process group; the training loop must see it between
// steps (the CPU backend computes synchronously, so the loop has to give the event loop a turn).
whileTraining('Ctrl-C during training finishes the step, writes a checkpoint and exits', async ({ rr, closed, err }, dir) => {
  process.kill(-rr.pid!, 'SIGINT');
  const code = await closed;
  expect(err()).toContain('interrupted');
  expect(code).not.toBe(null);
  const checkpoints = join(dir, 'run', 'checkpoints');
  expect(existsSync(checkpoints) && readdirSync(checkpoints).length).toBeGreaterThan(0);
});
