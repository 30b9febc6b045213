import { type Backend, RRError, type Tensor, type TensorSource, keep } from '@rr/tensor';

/**
 * Uploads the tensors a model needs from `source`, checking each against its expected shape.
 * F16/BF16 weights are widened to f32 on the host (the CPU backend computes in f32). A missing or
 * mis-shaped tensor is an RRError that names it; nothing is uploaded unless all are valid.
 */
export function uploadWeights(
  source: TensorSource,
  expected: ReadonlyMap<string, number[]>,
  backend: Backend,
  options: { dtype?: 'f32' | 'f64'; origin: string; optional?: ReadonlySet<string> },
): Map<string, Tensor> {
  for (const [name, shape] of expected) {
    const info = source.tensors.get(name);
    if (!info) {
      if (options.optional?.has(name)) continue;
      throw new RRError('MISSING_TENSOR', `${options.origin}: tensor ${name} (shape [${shape.join(', ')}]) is missing from the checkpoint.`, { tensor: name });
    }
    if (info.shape.length !== shape.length || info.shape.some((d, i) => d !== shape[i])) {
      throw new RRError(
        'TENSOR_SHAPE_MISMATCH',
        `${options.origin}: tensor ${name} has shape [${info.shape.join(', ')}] but the config implies [${shape.join(', ')}]; the config.json and the weights do not belong together.`,
        { tensor: name },
      );
    }
  }
  const params = new Map<string, Tensor>();
  for (const [name, shape] of expected) {
    if (!source.tensors.has(name)) continue;
    params.set(name, keep(backend.upload(source.readF32(name), shape, options.dtype ?? 'f32')));
  }
  return params;
}
