import type { AttentionOptions, BinaryOp, Llama3RopeScaling, RopeOptions, UnaryOp } from '../backend.js';
import { type Draw, type InputSpec, apartFrom, awayFromZero, ids, input, integerInput, labels, normal, positive } from './inputs.js';
import { blockWeightInputs, blockWeights, llamaBlock, tinyLanguageModelLoss, tinyLlama } from './llama-block.js';
import type { OpSet } from './op-set.js';

/**
 * The conformance table: one row per (op, configuration). Each row is data (input shapes and
 * distributions) plus one generic `compute` that both the backend and the reference evaluate, so
 * adding a configuration is one line and no check is written twice. Shapes are small on purpose:
 * the reference gradient is a finite difference over every input element.
 */
export interface ConformanceCase {
  /** Unique and readable: it is the test title. */
  readonly name: string;
  /** For filtering (`defineBackendConformance(..., { filter })`): 'matmul', 'attention', ... */
  readonly group: string;
  readonly inputs: readonly InputSpec[];
  compute<T>(o: OpSet<T>, xs: readonly T[]): T;
  /** How the backward is checked; see `BackwardCheck`. */
  readonly backward: BackwardCheck;
  /** How the upstream gradient G of the backward check is drawn; default normal(). */
  readonly upstream?: Draw;
}

/**
 * - 'finite-differences': every gradient element against a central difference of the reference
 *   (small shapes: two reference forwards per input element).
 * - 'directional': for medium shapes, where that would be slow, the gradient's projections on a few
 *   random directions against directional differences of the reference (two forwards per
 *   direction). A wrong gradient survives this only if its error is orthogonal to every random
 *   direction, which has probability zero.
 * - 'none': no gradient by design: max and min (optimizer helpers the ops do not differentiate)
 *   and kernel outputs the ops keep private (lse).
 */
export type BackwardCheck = 'finite-differences' | 'directional' | 'none';

type Compute = <T>(o: OpSet<T>, xs: readonly T[]) => T;

const row = (
  group: string,
  name: string,
  inputs: InputSpec[],
  compute: Compute,
  backward: BackwardCheck = 'finite-differences',
  upstream?: Draw,
): ConformanceCase => ({
  name: `${group}: ${name}`,
  group,
  inputs,
  compute,
  backward,
  ...(upstream && { upstream }),
});

/**
 * The gradient of a broadcast single-element operand is a sum over every element of the other
 * operand. With signed terms that sum can cancel to almost nothing, and its relative error is then
 * unbounded however exact the kernel (f32 rounding of the terms over a near-zero sum: 1 in 100 to
 * 300 draws went past 1e-5). Rows with such an operand draw everything the sum multiplies, the
 * upstream gradient included, positive, so the terms share a sign and the check is well conditioned.
 */
const sameSign = positive();

// ---- elementwise -------------------------------------------------------------------------------

const unaryDomain: Record<UnaryOp, Draw> = {
  neg: normal(),
  abs: awayFromZero(),
  sqrt: positive(),
  rsqrt: positive(),
  square: normal(),
  exp: normal(),
  log: positive(),
  reciprocal: positive(),
  sigmoid: normal(2),
  silu: normal(2),
  sign: awayFromZero(),
};

const unaryCases = (Object.keys(unaryDomain) as UnaryOp[]).map((op) => row('unary', op, [input('x', [3, 7], unaryDomain[op])], (o, [x]) => o.unary(op, x!)));

/** The divisor stays away from 0; max and min compare operands that are never near-ties. */
const secondOperand: Record<BinaryOp, Draw> = {
  add: normal(),
  sub: normal(),
  mul: normal(),
  div: awayFromZero(0.5, 2),
  max: apartFrom(0),
  min: apartFrom(0),
};

/** Equal shapes, and a single-element operand broadcast from either side (shape [] and [1]). */
const broadcastForms = [
  { form: 'same shape', a: [4, 5], b: [4, 5], broadcast: false },
  { form: 'a single element []', a: [], b: [4, 5], broadcast: true },
  { form: 'b single element [1]', a: [4, 5], b: [1], broadcast: true },
];

const binaryCases = (Object.keys(secondOperand) as BinaryOp[]).flatMap((op) =>
  broadcastForms.map(({ form, a, b, broadcast }) => {
    const differentiable = op !== 'max' && op !== 'min';
    const sameSigned = broadcast && differentiable;
    return row(
      'binary',
      `${op}, ${form}`,
      [input('a', a, sameSigned ? sameSign : normal()), input('b', b, sameSigned ? sameSign : secondOperand[op])],
      (o, [x, y]) => o.binary(op, x!, y!),
      differentiable ? 'finite-differences' : 'none',
      sameSigned ? sameSign : undefined,
    );
  }),
);

const affineCases = [
  // lerp is an optimizer helper without a gradient
  row('affine', 'lerp(a, b, 0.3)', [input('a', [3, 5]), input('b', [3, 5])], (o, [a, b]) => o.lerp(a!, b!, 0.3), 'none'),
  row('affine', 'x * 1.7 - 0.3', [input('x', [3, 5])], (o, [x]) => o.affine(x!, 1.7, -0.3)),
  row('affine', 'x * -0.5 (no shift)', [input('x', [2, 3, 2])], (o, [x]) => o.affine(x!, -0.5, 0)),
];

// ---- reductions and shape ---------------------------------------------------------------------

const shapeCases = [
  // sameSign: a sum of 60 signed terms cancels like a broadcast operand's gradient (on lavapipe
  // 1 to 4 draws in 1,000 went past the f32 bound with a correct kernel)
  row('reduce', 'sum [3, 4, 5]', [input('x', [3, 4, 5], sameSign)], (o, [x]) => o.sum(x!)),
  row('reduce', 'mean [3, 4, 5]', [input('x', [3, 4, 5], sameSign)], (o, [x]) => o.mean(x!)),
  row('shape', 'reshape [2, 3, 4] -> [4, 6]', [input('x', [2, 3, 4])], (o, [x]) => o.reshape(x!, [4, 6])),
  row('shape', 'transpose [3, 5]', [input('x', [3, 5])], (o, [x]) => o.transpose(x!)),
  row('shape', 'transpose [2, 3, 4]', [input('x', [2, 3, 4])], (o, [x]) => o.transpose(x!)),
  row('shape', 'concat widths 2, 4, 1 on [2, 3, *]', [input('a', [2, 3, 2]), input('b', [2, 3, 4]), input('c', [2, 3, 1])], (o, xs) => o.concat(xs)),
  row('shape', 'slice [..., 2:5] of width 7', [input('x', [2, 3, 7])], (o, [x]) => o.slice(x!, 2, 5)),
  row('shape', 'slice [..., 0:3] of width 3 (whole)', [input('x', [4, 3])], (o, [x]) => o.slice(x!, 0, 3)),
  row('shape', 'slice [..., 4:6] of width 6 (tail)', [input('x', [4, 6])], (o, [x]) => o.slice(x!, 4, 6)),
];

// ---- matmul -----------------------------------------------------------------------------------

interface MatmulShape {
  transA: boolean;
  transB: boolean;
  /** 'shared': b is 2-D and multiplies every batch entry (a Linear weight); 'batched': b has a's batch. */
  b: 'shared' | 'batched';
  batch: number[];
  m: number;
  k: number;
  n: number;
}

/**
 * M, K, N differ so that any confusion of two dimensions changes the shape or the result. A
 * batched a with transA and a shared b is rejected by ops.matmul, so those forms use a 2-D a.
 */
function matmulCase(s: MatmulShape, backward: BackwardCheck = 'finite-differences', note = ''): ConformanceCase {
  const aShape = [...(s.b === 'shared' && s.transA ? [] : s.batch), ...(s.transA ? [s.k, s.m] : [s.m, s.k])];
  const bShape = [...(s.b === 'batched' ? s.batch : []), ...(s.transB ? [s.n, s.k] : [s.k, s.n])];
  const name = `${s.transA ? 'aT' : 'a'} x ${s.transB ? 'bT' : 'b'}, b ${s.b}: [${aShape}] x [${bShape}]${note}`;
  return row('matmul', name, [input('a', aShape), input('b', bShape)], (o, [a, b]) => o.matmul(a!, b!, s), backward);
}

const transposeForms = [false, true].flatMap((transA) => [false, true].map((transB) => ({ transA, transB })));
const small = { batch: [2], m: 3, k: 5, n: 4 };

const matmulCases = [
  // all four transpose combinations, b shared and batched
  ...transposeForms.flatMap((t) => (['shared', 'batched'] as const).map((b) => matmulCase({ ...t, b, ...small }))),
  matmulCase({ transA: false, transB: false, b: 'batched', ...small, batch: [2, 3] }),
  matmulCase({ transA: true, transB: true, b: 'batched', ...small, batch: [2, 3] }),
  matmulCase({ transA: false, transB: true, b: 'shared', ...small, batch: [2, 3] }),
];

// ---- model ops --------------------------------------------------------------------------------

const normCases = [
  row('rmsnorm', '[2, 3, 8], eps 1e-5', [input('x', [2, 3, 8]), input('w', [8])], (o, [x, w]) => o.rmsnorm(x!, w!, 1e-5)),
  // a large eps: a kernel that drops eps or adds it outside the square root fails here
  row('rmsnorm', '[5, 6], eps 0.5', [input('x', [5, 6]), input('w', [6])], (o, [x, w]) => o.rmsnorm(x!, w!, 0.5)),
];

/** Three bands exercised at small sizes: (original 64, theta 1e4, headDim 8) keeps i=0, blends i=1, divides i=2,3. */
const smallScaling: Llama3RopeScaling = { factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 64 };
/** Llama-3.2-1B's scaling; with theta 5e5 and headDim 16 all three bands occur too (i<=3 kept, 4 blended, 5..7 divided). */
const llama32Scaling: Llama3RopeScaling = { factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 };

const ropeConfigs: { name: string; batch: number; time: number; options: RopeOptions }[] = [
  { name: 'theta 1e4, 2 heads of 8', batch: 2, time: 5, options: { nHeads: 2, headDim: 8, theta: 10000 } },
  { name: 'offset 7, 3 heads of 4', batch: 1, time: 4, options: { nHeads: 3, headDim: 4, theta: 10000, offset: 7 } },
  { name: 'Llama-3 scaling (all bands), offset 50', batch: 2, time: 3, options: { nHeads: 2, headDim: 8, theta: 10000, scaling: smallScaling, offset: 50 } },
  { name: 'Llama-3.2 scaling, theta 5e5, headDim 16', batch: 1, time: 6, options: { nHeads: 2, headDim: 16, theta: 500000, scaling: llama32Scaling } },
  { name: 'inverse rotation, offset 3', batch: 2, time: 3, options: { nHeads: 2, headDim: 8, theta: 10000, offset: 3, inverse: true } },
];

const ropeCases = ropeConfigs.map(({ name, batch, time, options }) =>
  row('rope', name, [input('x', [batch, time, options.nHeads * options.headDim])], (o, [x]) => o.rope(x!, options)),
);

interface AttentionConfig {
  name: string;
  batch: number;
  tq: number;
  s: number;
  options: AttentionOptions;
}

const attentionConfigs: AttentionConfig[] = [
  { name: 'MHA, Hq = Hkv = 2, T = S = 5', batch: 2, tq: 5, s: 5, options: { nHeads: 2, nKvHeads: 2, headDim: 4 } },
  { name: 'GQA, Hq 4 / Hkv 2, T = S = 5', batch: 2, tq: 5, s: 5, options: { nHeads: 4, nKvHeads: 2, headDim: 4 } },
  { name: 'MQA, Hq 4 / Hkv 1, T = S = 4', batch: 1, tq: 4, s: 4, options: { nHeads: 4, nKvHeads: 1, headDim: 4 } },
  { name: 'KV cache decode, Tq 1, kvLength 4 of S 6, GQA', batch: 2, tq: 1, s: 6, options: { nHeads: 4, nKvHeads: 2, headDim: 4, kvLength: 4 } },
  { name: 'KV cache chunk, Tq 3, kvLength 5 of S 7, GQA', batch: 1, tq: 3, s: 7, options: { nHeads: 4, nKvHeads: 2, headDim: 4, kvLength: 5 } },
  { name: 'explicit scale 0.3, Hq 3 / Hkv 1, headDim 2', batch: 1, tq: 4, s: 4, options: { nHeads: 3, nKvHeads: 1, headDim: 2, scale: 0.3 } },
];

const attentionInputs = ({ batch, tq, s, options: o }: AttentionConfig): InputSpec[] => [
  input('q', [batch, tq, o.nHeads * o.headDim]),
  input('k', [batch, s, o.nKvHeads * o.headDim]),
  input('v', [batch, s, o.nKvHeads * o.headDim]),
];

const attentionCases = attentionConfigs.flatMap((c) => [
  row('attention', c.name, attentionInputs(c), (o, [q, k, v]) => o.attention(q!, k!, v!, c.options)),
  row('attention', `lse of the kernel, ${c.name}`, attentionInputs(c), (o, [q, k, v]) => o.attentionLse(q!, k!, v!, c.options), 'none'),
]);

const swigluCases = [row('swiglu', '[2, 3, 6]', [input('gate', [2, 3, 6], normal(2)), input('up', [2, 3, 6])], (o, [g, u]) => o.swiglu(g!, u!))];

const embeddingCases = [
  // 10 ids over 4 rows: some row is looked up more than once, and its gradient must accumulate
  row('embedding', 'ids [2, 5] into [4, 3], repeated ids', [integerInput('ids', [2, 5], ids(4)), input('table', [4, 3])], (o, [i, t]) => o.embedding(i!, t!)),
  row('embedding', 'ids [7] into [9, 2]', [integerInput('ids', [7], ids(9)), input('table', [9, 2])], (o, [i, t]) => o.embedding(i!, t!)),
];

const crossEntropyConfigs = [
  { name: 'logits [2, 4, 7], ignoreIndex -100', logits: [2, 4, 7], ignoreIndex: -100 },
  { name: 'logits [6, 5], ignoreIndex -1', logits: [6, 5], ignoreIndex: -1 },
];

const crossEntropyCases = crossEntropyConfigs.flatMap(({ name, logits, ignoreIndex }) => {
  const inputs = [input('logits', logits, normal(2)), integerInput('labels', logits.slice(0, -1), labels(logits.at(-1)!, ignoreIndex))];
  return [
    row('crossEntropy', `${name}, some labels ignored`, inputs, (o, [l, y]) => o.crossEntropy(l!, y!, ignoreIndex)),
    row('crossEntropy', `lse of the kernel, ${name}`, inputs, (o, [l, y]) => o.crossEntropyLse(l!, y!, ignoreIndex), 'none'),
  ];
});

// ---- composites -------------------------------------------------------------------------------

const tiny = tinyLlama;
const [batch, time] = [2, 4];

export const llamaBlockCase = row(
  'composite',
  'pre-norm Llama block (rmsnorm, GQA attention with rope, SwiGLU MLP, residuals)',
  [input('x', [batch, time, tiny.dim]), ...blockWeightInputs(tiny)],
  (o, xs) => llamaBlock(o, xs[0]!, blockWeights(xs, 1), tiny),
);

export const tinyLanguageModelCase = row(
  'composite',
  'embedding -> Llama block -> LM head -> cross-entropy',
  [
    integerInput('tokens', [batch, time], ids(tiny.vocab)),
    integerInput('labels', [batch, time], labels(tiny.vocab, -100, 0.2)),
    input('table', [tiny.vocab, tiny.dim]),
    ...blockWeightInputs(tiny),
    input('lmHead', [tiny.vocab, tiny.dim], normal(1 / Math.sqrt(tiny.dim))),
  ],
  (o, xs) => tinyLanguageModelLoss(o, xs[0]!, xs[1]!, xs[2]!, blockWeights(xs, 3), xs.at(-1)!, tiny),
);

// ---- medium shapes ----------------------------------------------------------------------------

/**
 * Tiny shapes never reach the paths a fast kernel takes at real sizes: SIMD main loops, tiles and
 * workgroups (typically 16, 64 or 256 wide), the multi-threaded CPU matmul (from 2^19
 * multiply-adds). These rows use sizes just past such boundaries, with odd remainders; their
 * gradients are checked along random directions.
 */
const mediumCases = [
  ...transposeForms.map((t) => matmulCase({ ...t, b: 'batched', batch: [2], m: 37, k: 70, n: 45 }, 'directional')),
  matmulCase({ transA: false, transB: true, b: 'shared', batch: [2], m: 64, k: 96, n: 80 }, 'directional', ' (multi-threaded size)'),
  matmulCase({ transA: true, transB: false, b: 'batched', batch: [2], m: 64, k: 96, n: 80 }, 'directional', ' (multi-threaded size)'),
  // a backend may compute half of a product it is told is symmetric: past one row chunk, batched
  row(
    'matmul',
    'Gram matrix x x^T with the symmetric hint: [2, 70, 37]',
    [input('x', [2, 70, 37])],
    (o, [x]) => o.matmul(x!, x!, { transB: true, symmetric: true }),
    'directional',
  ),
  row(
    'matmul',
    'Gram matrix x^T x with the symmetric hint: [37, 70]',
    [input('x', [37, 70])],
    (o, [x]) => o.matmul(x!, x!, { transA: true, symmetric: true }),
    'directional',
  ),
  row('unary', 'exp on [7, 143]', [input('x', [7, 143])], (o, [x]) => o.unary('exp', x!), 'directional'),
  row(
    'binary',
    'div on [7, 143] by a single element',
    [input('a', [7, 143], sameSign), input('b', [1], sameSign)],
    (o, [a, b]) => o.binary('div', a!, b!),
    'directional',
    sameSign,
  ),
  // positive terms: a sum of 10007 zero-mean terms cancels to ~1% of sum |x|, which turns an f32
  // reduction's ordinary rounding into relative errors above 1e-5 (seen once on WebGPU)
  row('reduce', 'sum of 10007 elements', [input('x', [10007], positive())], (o, [x]) => o.sum(x!), 'directional'),
  row('shape', 'transpose [2, 37, 70]', [input('x', [2, 37, 70])], (o, [x]) => o.transpose(x!), 'directional'),
  row('rmsnorm', '[3, 300], eps 1e-5', [input('x', [3, 300]), input('w', [300])], (o, [x, w]) => o.rmsnorm(x!, w!, 1e-5), 'directional'),
  row(
    'rope',
    '[1, 70, 4 heads of 64], Llama-3.2 scaling, offset 20',
    [input('x', [1, 70, 256])],
    (o, [x]) => o.rope(x!, { nHeads: 4, headDim: 64, theta: 500000, scaling: llama32Scaling, offset: 20 }),
    'directional',
  ),
  ...[
    { name: 'T = S = 70, GQA 4 / 2, headDim 16', batch: 1, tq: 70, s: 70, options: { nHeads: 4, nKvHeads: 2, headDim: 16 } },
    {
      name: 'KV cache, Tq 5, kvLength 67 of S 80, GQA 4 / 2, headDim 16',
      batch: 1,
      tq: 5,
      s: 80,
      options: { nHeads: 4, nKvHeads: 2, headDim: 16, kvLength: 67 },
    },
  ].map((c) => row('attention', c.name, attentionInputs(c), (o, [q, k, v]) => o.attention(q!, k!, v!, c.options), 'directional')),
  row('swiglu', '[4, 700]', [input('gate', [4, 700], normal(2)), input('up', [4, 700])], (o, [g, u]) => o.swiglu(g!, u!), 'directional'),
  row(
    'embedding',
    'ids [4, 50] into [300, 40]',
    [integerInput('ids', [4, 50], ids(300)), input('table', [300, 40])],
    (o, [i, t]) => o.embedding(i!, t!),
    'directional',
  ),
  row(
    'crossEntropy',
    'logits [10, 1000], some labels ignored',
    [input('logits', [10, 1000], normal(2)), integerInput('labels', [10], labels(1000, -100))],
    (o, [l, y]) => o.crossEntropy(l!, y!, -100),
    'directional',
  ),
];

export const conformanceCases: readonly ConformanceCase[] = [
  ...unaryCases,
  ...binaryCases,
  ...affineCases,
  ...shapeCases,
  ...matmulCases,
  ...normCases,
  ...ropeCases,
  ...attentionCases,
  ...swigluCases,
  ...embeddingCases,
  ...crossEntropyCases,
  llamaBlockCase,
  tinyLanguageModelCase,
  ...mediumCases,
];
