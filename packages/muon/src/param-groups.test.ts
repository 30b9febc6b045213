import { describe, expect, it } from 'vitest';
import { assignParamGroup } from './param-groups.js';
import { tinyLlamaShapes } from './test-model.js';

describe('assignParamGroup (the paper rule)', () => {
  it("gives a retrofitted Llama's projections and adapter to Muon, everything else to AdamW", () => {
    const groups = Object.fromEntries([...tinyLlamaShapes(8, 16, 12, 1)].map(([name, shape]) => [name, assignParamGroup(name, shape)]));
    expect(groups).toEqual({
      'model.embed_tokens.weight': 'adamw',
      'model.layers.0.input_layernorm.weight': 'adamw',
      'model.layers.0.self_attn.q_proj.weight': 'muon',
      'model.layers.0.self_attn.k_proj.weight': 'muon',
      'model.layers.0.self_attn.v_proj.weight': 'muon',
      'model.layers.0.self_attn.o_proj.weight': 'muon',
      'model.layers.0.post_attention_layernorm.weight': 'adamw',
      'model.layers.0.mlp.gate_proj.weight': 'muon',
      'model.layers.0.mlp.up_proj.weight': 'muon',
      'model.layers.0.mlp.down_proj.weight': 'muon',
      'model.adapter.weight': 'muon',
      'model.norm.weight': 'adamw',
      'lm_head.weight': 'adamw',
    });
  });

  it("recognises other checkpoints' embeddings and heads, biases and QK-norms", () => {
    expect(assignParamGroup('adapter.weight', [64, 128])).toBe('muon');
    expect(assignParamGroup('model.layers.3.self_attn.q_proj.bias', [64])).toBe('adamw');
    expect(assignParamGroup('model.layers.3.self_attn.q_norm.weight', [64])).toBe('adamw');
    expect(assignParamGroup('tok_embeddings.weight', [32000, 288])).toBe('adamw'); // llama2.c / Meta
    expect(assignParamGroup('output.weight', [32000, 288])).toBe('adamw');
    expect(assignParamGroup('layers.0.attention.output.weight', [288, 288])).toBe('muon'); // not a head
    expect(assignParamGroup('transformer.wte.weight', [50257, 768])).toBe('adamw'); // GPT-2
    expect(assignParamGroup('gpt_neox.embed_in.weight', [50304, 512])).toBe('adamw');
    expect(assignParamGroup('embed_out.weight', [50304, 512])).toBe('adamw');
    expect(assignParamGroup('some.scalar', [])).toBe('adamw');
  });
});
