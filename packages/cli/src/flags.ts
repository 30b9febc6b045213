import { InvalidArgumentError } from 'commander';

/** Parses "256,512,1024" into positive integers, for commander option parsers. */
export function positiveIntList(value: string): number[] {
  const parts = value.split(',').map((s) => s.trim());
  const nums = parts.map(Number);
  if (parts.length === 0 || nums.some((n, i) => parts[i] === '' || !Number.isSafeInteger(n) || n <= 0)) {
    throw new InvalidArgumentError(`"${value}" is not a comma-separated list of positive integers (e.g. 256,512,1024).`);
  }
  return nums;
}

export function positiveInt(value: string): number {
  const n = Number(value);
  // safe integers only: 1e99 is an integer to JavaScript but no count rr can run
  if (value.trim() === '' || !Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError(`"${value}" is not a positive integer.`);
  return n;
}

export function nonNegativeNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`"${value}" is not a non-negative number.`);
  return n;
}

/** "1,403,407" -> token ids (non-negative integers). */
export function tokenList(value: string): number[] {
  const parts = value.split(',').map((s) => s.trim());
  const ids = parts.map(Number);
  if (parts.some((p, i) => p === '' || !Number.isSafeInteger(ids[i]) || ids[i]! < 0)) {
    throw new InvalidArgumentError(`"${value}" is not a comma-separated list of token ids (e.g. 1,403,407).`);
  }
  return ids;
}

/** A benchmark's measuring time: positive and finite (Infinity would measure forever). */
export function measuringSeconds(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0 || n > 3600) throw new InvalidArgumentError(`"${value}" is not a number of seconds in (0, 3600].`);
  return n;
}
