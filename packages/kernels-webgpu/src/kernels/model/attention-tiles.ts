import { RRError } from '@rr/tensor';

/**
 * The tiling that the attention kernels (forward, dQ, dK/dV) share: a workgroup owns `owner` rows
 * (queries, or keys for dK/dV) and streams tiles of `other` rows of the opposite side through
 * workgroup memory. Invocations form a 16-lane grid: invocation (ty, tx) owns the 4 rows
 * ty*4 .. ty*4+3, for score tiles the columns tx, tx+16, ... of the streamed tile, and for the
 * [rows, headDim] accumulators the head columns tx, tx+16, ... . Everything a thread accumulates
 * lives in registers; workgroup memory holds only the tiles being multiplied.
 *
 * Tiles in workgroup memory are f32 (whatever the storage type) with a row stride of headDim + 1:
 * the score loops read 16 different rows at the same column, which with a stride that is a
 * multiple of 32 would all fall in one memory bank.
 *
 * The owner's own rows (the A side of the score products) are loaded into workgroup memory once
 * when they fit; when they do not (headDim 128 backward within 32 KiB), they are read in place
 * from the storage buffer, where every 16 lanes read one address (a broadcast the L1 serves).
 */

export const LANES = 16;
export const ROWS_PER_THREAD = 4;

export interface Tiles {
  /** Rows owned by a workgroup (multiple of 16). */
  readonly owner: number;
  /** Rows per streamed tile (multiple of 16). */
  readonly other: number;
  readonly headDim: number;
  /** Whether the owned rows are copied into workgroup memory (else read in place). */
  readonly ownerInWorkgroup: boolean;
}

/** Preferred first: bigger tiles re-use each loaded row more; smaller ones fit small limits. */
const CANDIDATES: readonly (readonly [number, number])[] = [
  [64, 64],
  [64, 32],
  [32, 32],
  [32, 16],
  [16, 16],
];

export function threadsOf(t: Tiles): number {
  return (t.owner / ROWS_PER_THREAD) * LANES;
}

export function strideOf(headDim: number): number {
  return headDim + 1;
}

/**
 * The largest tiles whose workgroup arrays (`arrays(tiles)`) and invocation count fit the device,
 * not taller than the rows there are to own (a decode step with 4 query rows gets 16-row tiles,
 * not 64); owned rows in workgroup memory if any tiles fit that way, else read in place.
 */
export function chooseTiles(kernel: string, headDim: number, ownerRows: number, limits: GPUSupportedLimits, arrays: (t: Tiles) => WorkgroupArrays): Tiles {
  const tallest = Math.max(16, 2 ** Math.ceil(Math.log2(Math.max(ownerRows, 1))));
  for (const ownerInWorkgroup of [true, false]) {
    const fits = CANDIDATES.map(([owner, other]) => ({ owner, other, headDim, ownerInWorkgroup })).filter(
      (t) => workgroupFloats(arrays(t)) * 4 <= limits.maxComputeWorkgroupStorageSize && threadsOf(t) <= limits.maxComputeInvocationsPerWorkgroup,
    );
    const best = fits.find((t) => t.owner <= tallest) ?? fits[fits.length - 1];
    if (best) return best;
  }
  const smallest = workgroupFloats(arrays({ owner: 16, other: 16, headDim, ownerInWorkgroup: false })) * 4;
  throw new RRError(
    'UNSUPPORTED_SHAPE',
    `${kernel}: headDim ${headDim} needs ${smallest} bytes of workgroup memory even with 16 x 16 tiles; this device allows ${limits.maxComputeWorkgroupStorageSize} (maxComputeWorkgroupStorageSize).`,
    { headDim, limit: limits.maxComputeWorkgroupStorageSize },
  );
}

/**
 * The workgroup arrays of a kernel (name -> number of f32), declared from the same object that
 * `chooseTiles` sizes, so the budget and the declarations cannot drift apart.
 */
export type WorkgroupArrays = Readonly<Record<string, number>>;

export function workgroupFloats(arrays: WorkgroupArrays): number {
  return Object.values(arrays).reduce((a, b) => a + b, 0);
}

export function declareWorkgroupArrays(arrays: WorkgroupArrays): string {
  return Object.entries(arrays)
    .map(([name, length]) => `var<workgroup> ${name}: array<f32, ${length}>;`)
    .join('\n');
}

/** WGSL constants of a tiling: DH, STRIDE, OWN, OTHER, COLS (streamed columns per lane), DCOLS, THREADS. */
export function tileConstants(t: Tiles): string {
  return `
const DH = ${t.headDim}u;
const STRIDE = ${strideOf(t.headDim)}u;
const OWN = ${t.owner}u;
const OTHER = ${t.other}u;
const COLS = ${t.other / LANES}u;
const DCOLS = ${Math.ceil(t.headDim / LANES)}u;
const THREADS = ${threadsOf(t)}u;`;
}

/**
 * Cooperative load of `rows` rows of headDim values into `dest` (row stride STRIDE), as f32.
 * `address(r)` is the WGSL element index of row r's first value in `src`; rows where
 * `valid(r)` is false are zero.
 */
export function loadTile(dest: string, src: string, rows: string, valid: (r: string) => string, address: (r: string) => string): string {
  return `
  for (var e = lid; e < ${rows} * DH; e += THREADS) {
    let r = e / DH;
    let d = e % DH;
    var loaded = 0.0;
    if (${valid('r')}) { loaded = f32(${src}[${address('r')} + d]); }
    ${dest}[r * STRIDE + d] = loaded;
  }`;
}

/**
 * The owner side of the score products: `setup` goes before the streaming loop (it loads the
 * owned rows into `name`, or computes their addresses in `src`), `read(r, d)` is element d of
 * owned row ty*4 + r as f32. Rows past the owner's extent (`valid` false) are zeros in workgroup
 * memory, or row `clamp(row)` in place; the kernels mask whatever those rows produce.
 */
export interface OwnerOperand {
  setup: string;
  read: (r: string, d: string) => string;
}

export function ownerOperand(
  t: Tiles,
  o: { name: string; src: string; valid: (row: string) => string; address: (row: string) => string; clamp: (row: string) => string },
): OwnerOperand {
  if (t.ownerInWorkgroup) {
    return {
      setup: loadTile(o.name, o.src, 'OWN', o.valid, o.address),
      read: (r, d) => `${o.name}[(ty * ${ROWS_PER_THREAD}u + ${r}) * STRIDE + ${d}]`,
    };
  }
  return {
    setup: `
  var ${o.name}_at: array<u32, ${ROWS_PER_THREAD}>;
  for (var r = 0u; r < ${ROWS_PER_THREAD}u; r++) { ${o.name}_at[r] = ${o.address(o.clamp(`ty * ${ROWS_PER_THREAD}u + r`))}; }`,
    read: (r, d) => `f32(${o.src}[${o.name}_at[${r}] + ${d}])`,
  };
}

/**
 * acc[r][c] = sum over d of A[ty*4 + r][d] * B[tx + 16c][d]: a tile of A B^T (scores Q K^T, or
 * dO V^T, ...), with A's rows this invocation's own and B's rows its lanes. Declares `acc`.
 */
export function dotTile(acc: string, a: OwnerOperand, b: string): string {
  return `
  // explicitly zeroed: Dawn 0.6.2 on lavapipe did not re-zero an uninitialised var declared in a
  // loop on each iteration (WGSL says it must), so scores leaked from one tile into the next
  var ${acc} = array<array<f32, COLS>, ${ROWS_PER_THREAD}>();
  for (var d = 0u; d < DH; d++) {
    var av: array<f32, ${ROWS_PER_THREAD}>;
    for (var r = 0u; r < ${ROWS_PER_THREAD}u; r++) { av[r] = ${a.read('r', 'd')}; }
    for (var c = 0u; c < COLS; c++) {
      let bv = ${b}[(tx + ${LANES}u * c) * STRIDE + d];
      for (var r = 0u; r < ${ROWS_PER_THREAD}u; r++) { ${acc}[r][c] = fma(av[r], bv, ${acc}[r][c]); }
    }
  }`;
}

/**
 * acc[r][n] += sum over c < inner of P[ty*4 + r][c] * B[c][tx + 16n]: a [rows, headDim]
 * accumulator times a tile (O += P V, dV += P^T dO, dQ += dS K, ...). Head columns past DH read
 * a clamped (valid, unused) address instead of branching; they are never stored.
 */
export function accumulateTile(acc: string, p: string, pStride: string, b: string, inner: string): string {
  return `
  for (var c = 0u; c < ${inner}; c++) {
    var pv: array<f32, ${ROWS_PER_THREAD}>;
    for (var r = 0u; r < ${ROWS_PER_THREAD}u; r++) { pv[r] = ${p}[(ty * ${ROWS_PER_THREAD}u + r) * ${pStride} + c]; }
    for (var n = 0u; n < DCOLS; n++) {
      let bv = ${b}[c * STRIDE + min(tx + ${LANES}u * n, DH - 1u)];
      for (var r = 0u; r < ${ROWS_PER_THREAD}u; r++) { ${acc}[r][n] = fma(pv[r], bv, ${acc}[r][n]); }
    }
  }`;
}

/**
 * Addressing shared by the attention kernels (params tq, s, hq, hkv, group, kvLength). A
 * workgroup serves one kv head and all `group` query heads that read it: its query rows are
 * rho = i * group + g (query i, head kvh * group + g), so GQA/MQA load each K/V tile once for the
 * whole group, and a decode step (Tq = 1) still fills a tile with `group` rows. Those rows are
 * contiguous in q [B, Tq, Hq * Dh].
 */
export const ADDRESSING = `
fn q_row(b: u32, kvh: u32, rho: u32) -> u32 {
  return ((b * p.tq + rho / p.group) * p.hq + kvh * p.group + rho % p.group) * DH;
}
fn kv_row(b: u32, kvh: u32, j: u32) -> u32 {
  return ((b * p.s + j) * p.hkv + kvh) * DH;
}
fn lse_index(b: u32, kvh: u32, rho: u32) -> u32 {
  return (b * p.hq + kvh * p.group + rho % p.group) * p.tq + rho / p.group;
}
// absolute position of query row rho: the Tq queries are the last Tq of the kvLength positions
fn position(rho: u32) -> u32 {
  return p.kvLength - p.tq + rho / p.group;
}
fn visible(rho: u32, j: u32) -> bool {
  return j <= position(rho) && j < p.kvLength;
}`;
