// Table-driven fuzz of the CLI and the recipe schema: recipes with every field set to hostile
// values, broken data files, model folders and GSM8K files, and bad values for every numeric
// flag. Every case must end in a named error (`rr: ... [CODE]`, exit 1, one line) or in a
// documented success, before the hang guard; no stack trace, no "unexpected error".
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { classify, lastLine, pool, runCli, testData } from './common.mjs';

/** A value written into JSON text as is (not valid JSON, or a number JSON.parse turns into Infinity). */
const raw = (text) => ({ raw: text });
const RECIPE_VALUES = [null, -1, 0, 0.5, 1e9, 'x', {}, raw('1e999')];
const RECIPE_FIELDS = [
  ['name'],
  ['seed'],
  ['out'],
  ['model', 'path'],
  ['model', 'plan'],
  ['model', 'tokenizer'],
  ['model', 'initScale'],
  ['model', 'init'],
  ['model', 'adapterInit'],
  ['phases'],
  ['phases', 0],
  ['phases', 0, 'steps'],
  ['phases', 0, 'seq'],
  ['phases', 0, 'batch'],
  ['phases', 0, 'gradAccum'],
  ['phases', 0, 'data'],
  ['phases', 0, 'data', 0, 'path'],
  ['phases', 0, 'data', 0, 'format'],
  ['phases', 0, 'data', 0, 'field'],
  ['phases', 0, 'optimizer', 'muonLr'],
  ['phases', 0, 'optimizer', 'adamBetas'],
  ['phases', 0, 'lr', 'warmup'],
  ['phases', 0, 'curriculum', 'maxMean'],
  ['phases', 0, 'curriculum', 'backpropDepth'],
  ['phases', 0, 'eval'],
  ['phases', 0, 'eval', 'batches'],
  ['checkpoint', 'every'],
  ['checkpoint', 'keep'],
];
const FLAG_VALUES = ['0', '-1', '1.5', 'abc', '1e99', 'Infinity', 'NaN', '', '9007199254740993'];

function setPath(obj, path, value) {
  let o = obj;
  for (const k of path.slice(0, -1)) {
    if (o[k] === null || typeof o[k] !== 'object') o[k] = typeof path[path.indexOf(k) + 1] === 'number' ? [] : {};
    o = o[k];
  }
  o[path[path.length - 1]] = value;
}

function jsonWithRaw(value) {
  const marks = [];
  const text = JSON.stringify(value, (_, v) => (v && typeof v === 'object' && 'raw' in v ? `@@RAW${marks.push(v.raw) - 1}@@` : v));
  return text.replace(/"@@RAW(\d+)@@"/g, (_, i) => marks[Number(i)]);
}

/**
 * Every case: { group, name, argv, expect, timeout? }. expect: 'error' (a named error), 'ok' (exit
 * 0), 'any' (either), or 'progress' (a valid run too long to finish: it must print its steps
 * until the guard stops it).
 */
export function fuzzCases(dir) {
  const t = testData();
  mkdirSync(dir, { recursive: true });
  const cases = [];
  const file = (name, content) => {
    const p = join(dir, name);
    writeFileSync(p, content);
    return p;
  };
  let runs = 0;
  const baseRecipe = (data = [{ path: t.text }]) => ({
    out: join(dir, `run-${runs++}`),
    model: { path: t.model, plan: '1,2,1' },
    phases: [{ name: 'p', steps: 1, seq: 8, batch: 1, data, eval: { data: [{ path: t.text }], every: 1, batches: 1 } }],
    checkpoint: { every: 1, keep: 1 },
  });
  const train = (group, name, recipeText, expect = 'any') => {
    const p = file(`recipe-${cases.length}.json`, recipeText);
    cases.push({ group, name, argv: ['train', '--recipe', p, '--json'], expect, ...(expect === 'progress' ? { timeout: 30 } : {}) });
  };

  // recipes: every field x every hostile value
  for (const path of RECIPE_FIELDS) {
    for (const value of RECIPE_VALUES) {
      const r = baseRecipe();
      setPath(r, path, value);
      // a billion steps is a valid, endless run: it must be training (printing steps) when the guard stops it
      const endless = path.join('.') === 'phases.0.steps' && value === 1e9;
      train('recipe', `${path.join('.')} = ${JSON.stringify(value)}`, jsonWithRaw(r), endless ? 'progress' : 'any');
    }
  }
  for (const [name, text] of [
    ['not JSON', '{ "out": '],
    ['empty file', ''],
    ['a JSON array', '[]'],
    ['a JSON string', '"recipe"'],
    ['an unknown field', JSON.stringify({ ...baseRecipe(), extra: 1 })],
    ['no phases field', JSON.stringify({ ...baseRecipe(), phases: undefined })],
    ['NaN as a number', jsonWithRaw({ ...baseRecipe(), seed: raw('NaN') })],
  ])
    train('recipe', name, text, 'error');
  cases.push({ group: 'recipe', name: 'a recipe that does not exist', argv: ['train', '--recipe', join(dir, 'absent.json')], expect: 'error' });
  cases.push({ group: 'recipe', name: 'a folder as the recipe', argv: ['train', '--recipe', dir], expect: 'error' });

  // data files
  const bytes = Buffer.alloc(4096);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761) >>> 24;
  const dataFiles = [
    ['an empty text file', file('empty.txt', ''), {}],
    ['only blank lines', file('blank.txt', '\n\n  \n\n'), {}],
    ['binary bytes as text', file('binary.txt', bytes), {}],
    ['one 20 MB line', file('long.txt', 'the cat sat on the mat. '.repeat(850_000)), {}],
    ['jsonl: not JSON', file('bad.jsonl', '{"text": "a"}\n{oops\n'), {}],
    ['jsonl: an array line', file('array.jsonl', '["a"]\n'), {}],
    ['jsonl: no text field', file('nofield.jsonl', '{"body": "a"}\n'), {}],
    ['jsonl: a number field', file('numfield.jsonl', '{"text": 5}\n'), {}],
    ['jsonl: empty', file('empty.jsonl', ''), {}],
    ['jsonl: template with a missing field', file('tmpl.jsonl', '{"q": "a"}\n'), { template: '{q} {a}' }],
    ['jsonl: promptTemplate on text', file('pt.txt', 'hello there\n'), { promptTemplate: '{q}' }],
    ['parquet: not parquet', file('bad.parquet', 'PAR1 not really'), {}],
    ['parquet: empty', file('empty.parquet', ''), {}],
    ['a folder as data', dir, {}],
    ['data that does not exist', join(dir, 'absent.txt'), {}],
    ['jsonl: BOM and CRLF', file('crlf.jsonl', '\uFEFF{"text": "one two"}\r\n{"text": "three"}\r\n'), {}],
    ['text with a custom separator absent', file('sep.txt', 'a b c d e f g h i j k l m n o p'), { separator: '###' }],
    ['jsonl: one 20 MB record', file('long.jsonl', `${JSON.stringify({ text: 'the cat sat. '.repeat(1_600_000) })}\n`), {}],
  ];
  for (const [name, path, extra] of dataFiles) train('data', name, JSON.stringify(baseRecipe([{ path, ...extra }])));

  // model folders
  const modelFiles = ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'];
  const config = JSON.parse(readFileSync(join(t.model, 'config.json'), 'utf8'));
  let models = 0;
  const modelDir = (edit) => {
    const d = join(dir, `model-${models++}`);
    mkdirSync(d);
    for (const f of modelFiles) copyFileSync(join(t.model, f), join(d, f));
    edit(d);
    return d;
  };
  const withConfig = (c) => (d) => writeFileSync(join(d, 'config.json'), typeof c === 'string' ? c : JSON.stringify(c));
  const weights = readFileSync(join(t.model, 'model.safetensors'));
  const modelCases = [
    ['config.json {}', withConfig({})],
    ['config.json []', withConfig([])],
    ['config.json not JSON', withConfig('{"hidden_size": ')],
    ['config.json empty', withConfig('')],
    ['no config.json', (d) => rmSync(join(d, 'config.json'))],
    ['hidden_size -1', withConfig({ ...config, hidden_size: -1 })],
    ['hidden_size "64"', withConfig({ ...config, hidden_size: '64' })],
    ['hidden_size 1e999', withConfig(jsonWithRaw({ ...config, hidden_size: raw('1e999') }))],
    ['num_hidden_layers 0', withConfig({ ...config, num_hidden_layers: 0 })],
    ['num_hidden_layers 50 (more than stored)', withConfig({ ...config, num_hidden_layers: 50 })],
    ['heads not a multiple of kv heads', withConfig({ ...config, num_key_value_heads: 3 })],
    ['vocab_size larger than the weights', withConfig({ ...config, vocab_size: 1024 })],
    ['max_position_embeddings 0', withConfig({ ...config, max_position_embeddings: 0 })],
    ['an unknown architecture', withConfig({ ...config, architectures: ['MambaForCausalLM'] })],
    [
      'an rr section with a bad plan',
      withConfig({ ...config, rr: { plan: { prelude: [0], block: [9], coda: [] }, origin: [0, 9], s0_std: 0.01, init_scale: 1 } }),
    ],
    ['an rr section that is a string', withConfig({ ...config, rr: 'x' })],
    ['an rr section that is null', withConfig({ ...config, rr: null })],
    ['an rr plan that is null', withConfig({ ...config, rr: { plan: null } })],
    [
      'an rr s0_std of 1e999',
      withConfig(jsonWithRaw({ ...config, rr: { plan: { prelude: [0], block: [1, 2], coda: [3] }, s0_std: raw('1e999'), init_scale: 1 } })),
    ],
    ['rope_theta 1e999', withConfig(jsonWithRaw({ ...config, rope_theta: raw('1e999') }))],
    ['rope_scaling of an unknown type', withConfig({ ...config, rope_scaling: { rope_type: 'yarn', factor: 4 } })],
    ['no model.safetensors', (d) => rmSync(join(d, 'model.safetensors'))],
    ['model.safetensors truncated', (d) => writeFileSync(join(d, 'model.safetensors'), weights.subarray(0, weights.length >> 1))],
    ['model.safetensors empty', (d) => writeFileSync(join(d, 'model.safetensors'), '')],
    ['model.safetensors header length huge', (d) => writeFileSync(join(d, 'model.safetensors'), Buffer.from([255, 255, 255, 255, 255, 255, 0, 0, 123]))],
    [
      'model.safetensors header not JSON',
      (d) => {
        const b = Buffer.from(weights);
        b.write('@', 9);
        writeFileSync(join(d, 'model.safetensors'), b);
      },
    ],
    ['tokenizer.json not JSON', (d) => writeFileSync(join(d, 'tokenizer.json'), '{')],
    ['tokenizer.json {}', (d) => writeFileSync(join(d, 'tokenizer.json'), '{}')],
    ['no tokenizer', (d) => rmSync(join(d, 'tokenizer.json'))],
  ];
  for (const [name, edit] of modelCases) {
    const d = modelDir(edit);
    cases.push({ group: 'model', name, argv: ['generate', '--model', d, '--max-tokens', '2'], expect: 'any' });
  }
  cases.push({ group: 'model', name: 'a file as the model', argv: ['generate', '--model', t.text, '--max-tokens', '2'], expect: 'error' });
  cases.push({
    group: 'model',
    name: 'a garbage llama2.c .bin',
    argv: ['generate', '--model', file('garbage.bin', bytes), '--max-tokens', '2'],
    expect: 'error',
  });
  cases.push({ group: 'model', name: 'a short llama2.c .bin', argv: ['generate', '--model', file('short.bin', 'abc'), '--max-tokens', '2'], expect: 'error' });
  cases.push({ group: 'model', name: 'a model that does not exist', argv: ['generate', '--model', join(dir, 'absent')], expect: 'error' });

  // flags: every numeric flag of every command x hostile values
  const flagCommands = [
    [
      ['generate', '--model', t.model, '--max-tokens', '2'],
      ['--max-tokens', '--recurrence', '--temperature', '--seed', '--init-scale'],
    ],
    [
      ['forward', '--model', t.model, '--tokens', '1,2'],
      ['--tokens', '--recurrence', '--init-scale'],
    ],
    [
      ['eval', 'gsm8k', '--model', t.model, '--data', t.gsm8kTest, '--limit', '1', '--max-tokens', '4', '--shots', '1'],
      ['--limit', '--batch', '--max-tokens', '--shots', '--recurrence', '--seed', '--adaptive-exit'],
    ],
    [
      ['surgery', '--model', t.model, '--plan', '1,2,1'],
      ['--plan', '--seed', '--init-scale'],
    ],
    [
      ['bench', 'matmul', '--sizes', '8', '--seconds', '0.01'],
      ['--sizes', '--threads', '--seconds'],
    ],
  ];
  for (const [base, flags] of flagCommands) {
    for (const flag of flags) {
      for (const value of FLAG_VALUES) {
        const argv = [...base];
        const at = argv.indexOf(flag);
        if (at >= 0) argv[at + 1] = value;
        else argv.push(flag, value);
        if (argv[0] === 'surgery' || argv[1] === 'gsm8k') argv.push('--out', join(dir, `out-${cases.length}`));
        cases.push({ group: 'flags', name: `${argv[0]} ${flag} ${JSON.stringify(value)}`, argv, expect: 'any' });
      }
    }
  }
  for (const argv of [
    ['generate'],
    ['nonsense'],
    ['generate', '--model', t.model, '--no-such-flag'],
    ['train'],
    ['eval', 'gsm8k', 'score'],
    ['surgery', '--model', t.model],
  ]) {
    cases.push({ group: 'flags', name: argv.join(' '), argv, expect: 'error' });
  }

  // GSM8K files, for the sweep (--data) and for re-scoring (--completions)
  const gsm8kFiles = [
    ['empty', ''],
    ['not JSON', '{"question": \n'],
    ['an array line', '[1, 2]\n'],
    ['no answer field', '{"question": "What is 1+1?"}\n'],
    ['answer a number', '{"question": "What is 1+1?", "answer": 2}\n'],
    ['answer without ####', '{"question": "What is 1+1?", "answer": "two"}\n'],
    ['BOM, CRLF and blank lines', '\uFEFF{"question": "What is 1+1?", "answer": "1+1=2\\n#### 2"}\r\n\r\n'],
    ['a 5 MB answer', `${JSON.stringify({ question: 'What is 1+1?', answer: `${'1'.repeat(5e6)}\n#### 2` })}\n`],
    ['binary bytes', bytes],
  ];
  for (const [name, content] of gsm8kFiles) {
    const p = file(`gsm8k-${cases.length}.jsonl`, content);
    cases.push({
      group: 'gsm8k',
      name: `--data: ${name}`,
      argv: ['eval', 'gsm8k', '--model', t.model, '--data', p, '--out', join(dir, `eval-${cases.length}`), '--limit', '1', '--max-tokens', '4', '--shots', '0'],
      expect: 'any',
    });
  }
  const completionFiles = [
    ['empty', ''],
    ['not JSON', '{"completion": \n'],
    ['no target', '{"completion": "The answer is 4."}\n'],
    ['target a number', '{"completion": "The answer is 4.", "target": 4}\n'],
    ['a 5 MB completion of digits', `${JSON.stringify({ completion: '7'.repeat(5e6), target: '7' })}\n`],
    ['a 5 MB completion of spaces', `${JSON.stringify({ completion: `1${' '.repeat(5e6)}2`, target: '2' })}\n`],
    ['a 5 MB "The answer is" run', `${JSON.stringify({ completion: 'The answer is 3'.repeat(3e5), target: '3' })}\n`],
    ['binary bytes', bytes],
    ['valid', '{"completion": "#### 4", "target": "4"}\n'],
  ];
  for (const [name, content] of completionFiles) {
    const p = file(`completions-${cases.length}.jsonl`, content);
    for (const task of ['gsm8k-cot', 'gsm8k'])
      cases.push({
        group: 'gsm8k',
        name: `score --task ${task}: ${name}`,
        argv: ['eval', 'gsm8k', 'score', '--task', task, '--completions', p],
        expect: 'any',
      });
  }
  cases.push({
    group: 'gsm8k',
    name: '--data that does not exist',
    argv: ['eval', 'gsm8k', '--model', t.model, '--data', join(dir, 'absent.jsonl'), '--out', join(dir, 'e-absent')],
    expect: 'error',
  });
  cases.push({ group: 'gsm8k', name: '--completions a folder', argv: ['eval', 'gsm8k', 'score', '--completions', dir], expect: 'error' });
  return cases;
}

/**
 * Runs the cases (all, or every `sample`-th) with `concurrency` at a time; `timeout` is the hang
 * guard in seconds. Returns the counts and the cases that did not end as they must.
 */
export async function runFuzz({ dir, sample = 1, concurrency = 2, timeout = 60, match, log = () => {} }) {
  const all = fuzzCases(dir);
  const cases = all.filter((c, i) => i % sample === 0 && (match === undefined || `${c.group}: ${c.name}`.includes(match)));
  const results = await pool(
    cases.map((c) => async () => {
      const r = await runCli(c.argv, { timeout: c.timeout ?? timeout, cwd: dir });
      let how = classify(r);
      if (c.expect === 'progress' && how.kind === 'hang' && /"step":/.test(r.out)) how = { kind: 'stopped' };
      const ok =
        how.kind === 'stopped' ||
        (how.kind === 'named' && c.expect !== 'ok' && c.expect !== 'progress') ||
        (how.kind === 'ok' && c.expect !== 'error' && c.expect !== 'progress');
      log(`${ok ? 'ok  ' : 'FAIL'} ${how.kind.padEnd(8)} ${(how.code ?? '').padEnd(22)} ${r.seconds.toFixed(1).padStart(5)}s ${c.group}: ${c.name}`);
      return { ...c, ...how, ok, seconds: r.seconds, line: (lastLine(r) ?? '').slice(0, 300) };
    }),
    concurrency,
  );
  const count = (k) => results.filter((r) => r.kind === k).length;
  return {
    cases: results.length,
    byGroup: Object.fromEntries([...new Set(results.map((r) => r.group))].map((g) => [g, results.filter((r) => r.group === g).length])),
    named: count('named'),
    successes: count('ok'),
    stoppedWhileTraining: count('stopped'),
    hangs: count('hang'),
    stackTraces: count('stack'),
    internal: count('internal'),
    other: count('other'),
    codes: Object.fromEntries(
      [...new Set(results.filter((r) => r.code).map((r) => r.code))].sort().map((c) => [c, results.filter((r) => r.code === c).length]),
    ),
    failures: results.filter((r) => !r.ok).map((r) => ({ group: r.group, name: r.name, kind: r.kind, line: r.line, argv: r.argv })),
    slowest: results
      .sort((a, b) => b.seconds - a.seconds)
      .slice(0, 5)
      .map((r) => `${r.seconds.toFixed(1)} s ${r.group}: ${r.name}`),
  };
}
