import { run } from '../program.js';

/** Runs the CLI in-process and captures what it prints. */
export async function cli(args: string[]): Promise<{ out: string; err: string; code: number }> {
  let out = '';
  let err = '';
  const code = await run(args, { out: (s) => (out += s), err: (s) => (err += s) });
  return { out, err, code };
}
