// A full disk: a training run, a surgery and an evaluation writing to a tiny tmpfs. Each must end
// in FILE_NO_SPACE on one line, leave no temp file behind, and keep the last good checkpoint
// loadable. Needs root to mount; skipped with that reason otherwise.
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { listCheckpoints, loadCheckpoint } from '../../packages/train/dist/index.js';
import { classify, lastLine, runCli, testData } from './common.mjs';
import { canMountTmpfs, mountTmpfs, unmount } from './tmpfs.mjs';

export const DISK_FULL_SKIP = canMountTmpfs() ? undefined : 'mounting a small tmpfs needs root on Linux';

function leftovers(dir) {
  const out = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (/\.tmp-|\.partial-/.test(e.name)) out.push(join(d, e.name));
      if (e.isDirectory()) walk(join(d, e.name));
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

export async function diskFull({ dir, log = () => {} }) {
  const { model, text, gsm8kTest } = testData();
  const results = [];
  const check = async (name, size, argv, after = () => ({})) => {
    const disk = join(dir, `disk-${results.length}`);
    mountTmpfs(disk, size);
    try {
      const r = await runCli(argv(disk), { timeout: 300 });
      const how = classify(r);
      const left = leftovers(disk);
      const extra = after(disk);
      const ok = how.kind === 'named' && how.code === 'FILE_NO_SPACE' && left.length === 0 && extra.ok !== false;
      results.push({ name, ok, ended: how.code ?? how.kind, line: lastLine(r), leftovers: left.length, ...extra });
      log(`${ok ? 'ok  ' : 'FAIL'} ${name}: ${lastLine(r)}`);
    } finally {
      unmount(disk);
    }
  };
  await check(
    'train: checkpoints fill the disk',
    '3m',
    (disk) => {
      const recipe = join(dir, 'full.json');
      writeFileSync(
        recipe,
        JSON.stringify({
          out: join(disk, 'run'),
          model: { path: model, plan: '1,2,1' },
          phases: [{ name: 'p', steps: 40, seq: 8, batch: 1, data: [{ path: text }] }],
          checkpoint: { every: 1, keep: 100 },
        }),
      );
      return ['train', '--recipe', recipe, '--json'];
    },
    (disk) => {
      const run = join(disk, 'run');
      const names = listCheckpoints(run);
      for (const n of names) loadCheckpoint(join(run, 'checkpoints', n));
      return { checkpointsIntact: names.length, ok: names.length > 0 };
    },
  );
  await check('surgery: the model does not fit', '400k', (disk) => ['surgery', '--model', model, '--plan', '1,2,1', '--out', join(disk, 'm')]);
  await check('eval gsm8k: the report does not fit', '8k', (disk) => [
    'eval',
    'gsm8k',
    '--model',
    model,
    '--data',
    gsm8kTest,
    '--out',
    join(disk, 'e'),
    '--limit',
    '6',
    '--max-tokens',
    '24',
    '--shots',
    '1',
  ]);
  return results;
}
