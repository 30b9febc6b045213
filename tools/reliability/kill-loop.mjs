// The kill -9 loop: training runs are killed at random moments and resumed until they finish.
// After every kill every checkpoint of the run must load; at the next start no temp folder may
// survive; the finished run (metrics and trained weights) must equal an uninterrupted run bit for
// bit, with no step logged twice.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { listCheckpoints, loadCheckpoint } from '../../packages/train/dist/index.js';
import { classify, runCli, testData } from './common.mjs';

function recipe(dir, name, steps) {
  const { model, text } = testData();
  const path = join(dir, `${name}.json`);
  const r = {
    name: 'kill-loop',
    seed: 5,
    out: join(dir, name),
    model: { path: model, plan: '1,2,1' },
    phases: [
      { name: 'a', steps: Math.ceil(steps / 2), seq: 16, batch: 2, data: [{ path: text }], curriculum: { maxMean: 3, backpropDepth: 2 } },
      { name: 'b', steps: Math.floor(steps / 2), seq: 16, batch: 2, data: [{ path: text }], curriculum: { maxMean: 2, backpropDepth: 2 } },
    ],
    checkpoint: { every: 3, keep: 100 },
  };
  writeFileSync(path, JSON.stringify(r));
  return { path, out: r.out };
}

function stepLines(out) {
  const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  return lines.filter((l) => 'loss' in l);
}

function checkpointsLoad(out) {
  let checked = 0;
  for (const name of listCheckpoints(out)) {
    const c = loadCheckpoint(join(out, 'checkpoints', name));
    if (!(c.params.size > 0 && Number.isInteger(c.state.step))) throw new Error(`${name}: incomplete checkpoint`);
    checked++;
  }
  return checked;
}

function tempFolders(out) {
  const root = join(out, 'checkpoints');
  return existsSync(root) ? readdirSync(root).filter((n) => n.includes('.tmp-')).length : 0;
}

/**
 * `runs` runs of `steps` steps each, each killed at uniformly random times in [minS, maxS] seconds
 * after its first step line until it completes (at most `maxKillsPerRun` kills, then it runs to the end).
 * Returns the counts; `log` gets one line per event.
 */
export async function killLoop({ dir, runs = 3, steps = 24, minS = 0, maxS = 2, maxKillsPerRun = 10, seed = 1, log = () => {} }) {
  mkdirSync(dir, { recursive: true });
  let state = seed >>> 0 || 1;
  const random = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  const counts = { runs, kills: 0, checkpointsChecked: 0, staleTempsSeen: 0, staleTempsLeft: 0, resumesIdentical: 0, duplicatedSteps: 0, failures: [] };

  const ref = recipe(dir, 'reference', steps);
  const whole = await runCli(['train', '--recipe', ref.path, '--json'], { timeout: 600 });
  if (whole.code !== 0) throw new Error(`reference run failed: ${whole.err}`);
  const refLosses = stepLines(ref.out).map((l) => l.loss);
  const refWeights = readFileSync(join(ref.out, 'model/model.safetensors'));

  for (let run = 0; run < runs; run++) {
    const r = recipe(dir, `killed-${run}`, steps);
    let done = false;
    let started = false;
    let kills = 0;
    while (!done) {
      const killAfter = kills < maxKillsPerRun ? minS + random() * (maxS - minS) : undefined;
      const tempsBefore = started ? tempFolders(r.out) : 0;
      const argv = ['train', '--recipe', r.path, '--json', ...(started ? ['--resume'] : [])];
      const result = await runCli(argv, { timeout: 600, killAfterOutput: killAfter });
      started = true;
      if (result.signal === 'SIGKILL' && !result.hung) {
        kills++;
        counts.kills++;
        counts.staleTempsSeen += Math.max(tempsBefore, 0);
        const checked = existsSync(r.out) ? checkpointsLoad(r.out) : 0;
        counts.checkpointsChecked += checked;
        log(`run ${run}: kill ${kills} after ${killAfter.toFixed(2)} s; ${checked} checkpoints load; ${tempFolders(r.out)} temp folders`);
        continue;
      }
      const how = classify(result);
      if (how.kind !== 'ok') {
        counts.failures.push(`run ${run}: ${how.kind} ${result.err.trim().split('\n')[0]}`);
        break;
      }
      counts.staleTempsLeft += tempFolders(r.out);
      done = true;
    }
    if (!done) continue;
    counts.checkpointsChecked += checkpointsLoad(r.out);
    const lines = stepLines(r.out);
    const logged = lines.map((l) => l.step);
    const duplicated = logged.length - new Set(logged).size;
    counts.duplicatedSteps += duplicated;
    const losses = lines.map((l) => l.loss);
    const weights = readFileSync(join(r.out, 'model/model.safetensors'));
    const identical =
      duplicated === 0 && losses.length === refLosses.length && losses.every((v, i) => Object.is(v, refLosses[i])) && weights.equals(refWeights);
    if (identical) counts.resumesIdentical++;
    else counts.failures.push(`run ${run}: differs from the uninterrupted run (${duplicated} duplicated steps, ${losses.length}/${refLosses.length} steps)`);
    log(`run ${run}: finished after ${kills} kills; ${identical ? 'bit-identical' : 'DIFFERENT'}`);
    rmSync(r.out, { recursive: true, force: true });
  }
  return counts;
}
