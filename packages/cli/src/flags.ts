import { InvalidArgumentError } from 'commander';

/** Parses "256,512,1024" into positive integers, for commander option parsers. */
export function positiveIntList(value: string): number[] {
  const parts = value.split(',').map((s) => s.trim());
  const nums = parts.map(Number);
  if (parts.length === 0 || nums.some((n, i) => parts[i] === '' || !Number.isInteger(n) || n <= 0)) {
    throw new InvalidArgumentError(`"${value}" is not a comma-separated list of positive integers (e.g. 256,512,1024).`);
  }
  return nums;
}

export function positiveInt(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`"${value}" is not a positive integer.`);
  return n;
}
