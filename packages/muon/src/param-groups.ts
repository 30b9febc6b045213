import type { ParamGroup } from './optimizer.js';

/**
 * Name segments of token embedding tables across the checkpoints rr loads (Hugging Face Llama,
 * GPT-2, GPT-NeoX, Meta/llama2.c) and of output heads. Embedding rows are looked up, not
 * multiplied: only the rows of the tokens in a batch get a gradient, and the head is the
 * embedding's transpose (or tied to it), so the paper leaves both to AdamW.
 */
const EMBEDDING_SEGMENTS = new Set(['embed_tokens', 'embed', 'embeddings', 'word_embeddings', 'wte', 'wpe', 'tok_embeddings', 'embed_in']);
const HEAD_SEGMENTS = new Set(['lm_head', 'embed_out']);
/** Meta's llama and llama2.c call the head 'output.weight' at the top level. */
const TOP_LEVEL_HEADS = new Set(['output.weight']);

/**
 * The paper's split: Muon for every 2-D matrix except embeddings and the LM head (so the
 * attention and MLP projections and the recurrence adapter); AdamW for the rest (embeddings,
 * the head, norm weights, biases, anything not 2-D).
 */
export function assignParamGroup(name: string, shape: readonly number[]): ParamGroup {
  if (shape.length !== 2) return 'adamw';
  if (isEmbeddingOrHead(name)) return 'adamw';
  return 'muon';
}

export function isEmbeddingOrHead(name: string): boolean {
  if (TOP_LEVEL_HEADS.has(name)) return true;
  return name.split('.').some((segment) => EMBEDDING_SEGMENTS.has(segment) || HEAD_SEGMENTS.has(segment));
}
