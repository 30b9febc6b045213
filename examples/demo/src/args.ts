import { type ParseArgsConfig, parseArgs } from 'node:util';

/** A CLI's option table; it declares `help` (-h) itself so the parsed values type it. */
type Options = NonNullable<ParseArgsConfig['options']> & { readonly help: { readonly type: 'boolean'; readonly short: 'h'; readonly default: false } };

/** What parseArgs returns for `options` in strict mode. */
export type ParsedOptions<O extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: O; strict: true }>>['values'];

/**
 * The start every example CLI shares (the demo's and the claims suite's): strict parsing, the
 * error and the usage on bad arguments (exit 2), the usage on --help (exit 0). Returns the
 * parsed values, or the exit code when the command should stop here.
 */
export function parseCommandLine<const O extends Options>(argv: readonly string[], options: O, usage: string): ParsedOptions<O> | number {
  let values: ParsedOptions<O>;
  try {
    values = parseArgs({ args: [...argv], options, strict: true }).values;
  } catch (e) {
    console.error(`${(e as Error).message}\n\n${usage}`);
    return 2;
  }
  // O declares help as a boolean, but TypeScript does not resolve parseArgs's result type for a generic O
  if ((values as { readonly help: boolean }).help) {
    console.log(usage);
    return 0;
  }
  return values;
}
