#!/usr/bin/env node
// Every package installs alone: packs each publishable package (pnpm pack rewrites workspace:
// ranges to versions), installs the tarballs with npm into a temporary project outside the
// workspace, and runs the first TypeScript snippet of each package's README there (types
// stripped by the TypeScript compiler, nothing else changed). Run from the repository root,
// after `pnpm build`.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import ts from 'typescript';

const root = resolve(import.meta.dirname, '..');
const only = process.argv.slice(2);
const packages = readdirSync(join(root, 'packages'))
  .map((dir) => ({ dir: join(root, 'packages', dir), json: JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8')) }))
  .filter((p) => !p.json.private && (only.length === 0 || only.includes(p.json.name)));

const work = mkdtempSync(join(tmpdir(), 'rr-pack-'));
const tarballs = join(work, 'tarballs');
const project = join(work, 'project');
mkdirSync(tarballs);
mkdirSync(project);
const log = (s) => process.stdout.write(`pack-install: ${s}\n`);
let failed = 0;
try {
  for (const p of packages) {
    execFileSync('pnpm', ['pack', '--pack-destination', tarballs], { cwd: p.dir, stdio: 'pipe' });
  }
  const files = readdirSync(tarballs);
  log(`packed ${files.length} packages`);
  const dependencies = Object.fromEntries(
    packages.map((p) => {
      const tgz = files.find((f) => f.startsWith(`${p.json.name.replace('@', '').replace('/', '-')}-${p.json.version}`));
      if (!tgz) throw new Error(`no tarball for ${p.json.name}`);
      return [p.json.name, `file:../tarballs/${tgz}`];
    }),
  );
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'rr-pack-check', private: true, type: 'module', dependencies }, null, 2));
  log('npm install of the tarballs into a project outside the workspace...');
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: project, stdio: 'inherit' });

  for (const p of packages) {
    const readme = readFileSync(join(p.dir, 'README.md'), 'utf8');
    const match = /```(?:ts|typescript)\n([\s\S]*?)```/.exec(readme);
    if (!match) {
      log(`FAIL ${p.json.name}: its README has no \`\`\`ts snippet`);
      failed++;
      continue;
    }
    const js = ts.transpileModule(match[1], { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
    const file = join(project, `snippet-${p.json.name.split('/')[1]}.mjs`);
    writeFileSync(file, js);
    // cwd = the repository root, so the snippets' fixtures/ paths resolve as in the README
    const run = spawnSync(process.execPath, [file], { cwd: root, encoding: 'utf8', timeout: 180_000, env: { ...process.env } });
    if (run.status === 0) log(`ok   ${p.json.name}`);
    else {
      failed++;
      log(`FAIL ${p.json.name} (exit ${run.status}${run.signal ? `, ${run.signal}` : ''}):\n${(run.stderr || run.stdout).slice(-2000)}`);
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
log(`all ${packages.length} packages install alone and run their README snippet`);
