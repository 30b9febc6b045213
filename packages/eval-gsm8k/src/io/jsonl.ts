import { RRError } from '@rr/tensor';

/** One parsed JSONL line and its 1-based line number in the file. */
export interface JsonlRow {
  readonly line: number;
  readonly value: unknown;
}

/**
 * Splits JSONL text into parsed rows. Blank lines are skipped (a trailing newline, or an editor's
 * empty last line, is not an error), CRLF line ends and a leading BOM are accepted. A line that is
 * not JSON throws `RRError(code)` naming `file:line`.
 */
export function parseJsonl(text: string, file: string, code: string): JsonlRow[] {
  const rows: JsonlRow[] = [];
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].endsWith('\r') ? lines[i].slice(0, -1) : lines[i];
    if (raw.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      throw new RRError(
        code,
        `${file}:${i + 1}: not valid JSON (${(err as Error).message}). Each line must be one JSON object.`,
        { file, line: i + 1 },
        { cause: err },
      );
    }
    rows.push({ line: i + 1, value });
  }
  return rows;
}
