#!/usr/bin/env node
// Every package installs alone: packs each publishable package (pnpm pack rewrites workspace:
// ranges to versions), then, for each package, makes an empty project outside the workspace that
// installs only that package's tarball and the @rr/* tarballs it declares (directly or through
// them), and runs the first TypeScript snippet of the package's README there (types stripped by
// the TypeScript compiler, nothing else changed).
//
// The install is pnpm's isolated layout without hoisting: a package sees exactly the dependencies
// its package.json declares, so an undeclared one fails here instead of being found by accident
// (a flat node_modules, as one shared project or npm's hoisting gives, hides it). Run from the
// repository root, after `pnpm build`; name packages to check only those
// (`node scripts/pack-install.mjs @rr/train`); RR_KEEP_PACK=1 keeps the projects.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import ts from 'typescript';

const root = resolve(import.meta.dirname, '..');
const only = process.argv.slice(2);
const all = new Map(
  readdirSync(join(root, 'packages'))
    .map((dir) => ({ dir: join(root, 'packages', dir), json: JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8')) }))
    .filter((p) => !p.json.private)
    .map((p) => [p.json.name, p]),
);
for (const name of only) if (!all.has(name)) throw new Error(`pack-install: no publishable package ${name}`);
const checked = [...all.values()].filter((p) => only.length === 0 || only.includes(p.json.name));

/** The @rr/* packages `name` declares, directly (dependencies and peerDependencies). */
const declared = (name) => {
  const json = all.get(name).json;
  return Object.keys({ ...json.dependencies, ...json.peerDependencies }).filter((d) => all.has(d));
};
/** Every @rr/* package installing `name` brings in, through declared dependencies only. */
function closure(name, seen = new Set()) {
  for (const d of declared(name)) {
    if (!seen.has(d)) {
      seen.add(d);
      closure(d, seen);
    }
  }
  return seen;
}

const work = mkdtempSync(join(tmpdir(), 'rr-pack-'));
const tarballDir = join(work, 'tarballs');
mkdirSync(tarballDir);
const log = (s) => process.stdout.write(`pack-install: ${s}\n`);
let failed = 0;
try {
  for (const p of all.values()) execFileSync('pnpm', ['pack', '--pack-destination', tarballDir], { cwd: p.dir, stdio: 'pipe' });
  const files = readdirSync(tarballDir);
  const tarball = (name) => {
    const { version } = all.get(name).json;
    const file = files.find((f) => f === `${name.replace('@', '').replace('/', '-')}-${version}.tgz`);
    if (!file) throw new Error(`no tarball for ${name}`);
    return join(tarballDir, file);
  };
  log(`packed ${files.length} packages`);

  for (const p of checked) {
    const name = p.json.name;
    const project = join(work, name.split('/')[1]);
    mkdirSync(project);
    // the user installs the package and what it declares (the snippet may import those); deeper
    // @rr/* dependencies come from their tarballs too, never from the registry
    const direct = [name, ...declared(name)];
    const deps = [name, ...closure(name)];
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify(
        {
          name: `rr-pack-check-${name.split('/')[1]}`,
          private: true,
          type: 'module',
          dependencies: Object.fromEntries(direct.map((d) => [d, `file:${tarball(d)}`])),
        },
        null,
        2,
      ),
    );
    writeFileSync(
      join(project, 'pnpm-workspace.yaml'),
      [
        'hoist: false', // nothing undeclared is reachable, not even through node_modules/.pnpm/node_modules
        'overrides:',
        ...deps.map((d) => `  '${d}': 'file:${tarball(d)}'`),
        'allowBuilds:', // as in the workspace: Dawn ships prebuilt binaries, esbuild is not needed here
        '  esbuild: false',
        '  webgpu: false',
        '  gl: false', // gpu.js's optional headless-gl: @rr/js-kernels never loads it (its README says so)
        '',
      ].join('\n'),
    );
    const install = spawnSync('pnpm', ['install', '--prefer-offline', '--reporter=silent'], {
      cwd: project,
      encoding: 'utf8',
      env: { ...process.env, CI: 'true' },
    });
    if (install.status !== 0) {
      failed++;
      log(`FAIL ${name}: install failed:\n${(install.stderr || install.stdout).slice(-2000)}`);
      continue;
    }
    const readme = readFileSync(join(p.dir, 'README.md'), 'utf8');
    const match = /```(?:ts|typescript)\n([\s\S]*?)```/.exec(readme);
    if (!match) {
      log(`FAIL ${name}: its README has no \`\`\`ts snippet`);
      failed++;
      continue;
    }
    const js = ts.transpileModule(match[1], { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
    const file = join(project, 'snippet.mjs');
    writeFileSync(file, js);
    // cwd = the repository root, so the snippets' fixtures/ paths resolve as in the README
    const run = spawnSync(process.execPath, [file], { cwd: root, encoding: 'utf8', timeout: 180_000, env: { ...process.env } });
    const with_ = deps.length > 1 ? ` (with ${deps.slice(1).join(', ')})` : '';
    if (run.status === 0) log(`ok   ${name}${with_}`);
    else {
      failed++;
      log(`FAIL ${name}${with_} (exit ${run.status}${run.signal ? `, ${run.signal}` : ''}):\n${(run.stderr || run.stdout).slice(-2000)}`);
    }
  }
} finally {
  if (!process.env.RR_KEEP_PACK) rmSync(work, { recursive: true, force: true });
  else log(`kept ${work}`);
}
if (failed > 0) {
  log(`${failed} package(s) failed`);
  process.exit(1);
}
log(`all ${checked.length} packages install alone, each in its own project, and run their README snippet`);
