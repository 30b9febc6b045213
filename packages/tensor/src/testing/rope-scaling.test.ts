import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Llama3RopeScaling } from '../backend.js';
import { ropeInverseFrequencies } from '../ops/rope.js';
import { ropeFrequencies } from './reference.js';
import { relativeError } from './relative-error.js';
import { fixture, itWithFixtures } from './fixtures.js';

/**
 * Llama-3 RoPE scaling, derived twice: by the reference (in rotations per original context) and by
 * `ropeInverseFrequencies` in src/ops, which every backend uses (in wavelengths, as Hugging Face
 * writes it). Agreement on the real Llama-3.2-1B config, plus the band structure worked out by
 * hand, pins both.
 */

const CONFIG = 'configs/llama-3.2-1b.config.json';

interface HfConfig {
  rope_theta: number;
  head_dim: number;
  rope_scaling: { rope_type: string; factor: number; low_freq_factor: number; high_freq_factor: number; original_max_position_embeddings: number };
}

describe('Llama-3 RoPE scaling', () => {
  itWithFixtures('matches ropeInverseFrequencies on the real Llama-3.2-1B config', [CONFIG], () => {
    const cfg = JSON.parse(readFileSync(fixture(CONFIG), 'utf8')) as HfConfig;
    expect(cfg.rope_scaling.rope_type).toBe('llama3');
    const scaling: Llama3RopeScaling = {
      factor: cfg.rope_scaling.factor,
      lowFreqFactor: cfg.rope_scaling.low_freq_factor,
      highFreqFactor: cfg.rope_scaling.high_freq_factor,
      originalMaxPositionEmbeddings: cfg.rope_scaling.original_max_position_embeddings,
    };
    expect([cfg.rope_theta, cfg.head_dim, scaling.factor, scaling.lowFreqFactor, scaling.highFreqFactor, scaling.originalMaxPositionEmbeddings]).toEqual([
      500000, 64, 32, 1, 4, 8192,
    ]);
    const mine = ropeFrequencies(cfg.head_dim, cfg.rope_theta, scaling);
    const theirs = ropeInverseFrequencies(cfg.head_dim, cfg.rope_theta, scaling);
    expect(mine.length).toBe(32);
    expect(relativeError(theirs, mine)).toBeLessThan(1e-14);
    for (let i = 0; i < 32; i++) expect(theirs[i]! / mine[i]!).toBeCloseTo(1, 12);
  });

  it('keeps the 15 fastest frequencies, divides the 14 slowest by 32 and blends the 3 between (theta 5e5, head 64, context 8192)', () => {
    // wavelength 2 pi 5e5^(i/32) is below 8192/4 for i <= 14 and above 8192/1 for i >= 18
    const scaling = { factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 };
    const plain = ropeInverseFrequencies(64, 500000);
    const scaled = ropeInverseFrequencies(64, 500000, scaling);
    const ratio = [...scaled].map((f, i) => f / plain[i]!);
    ratio.slice(0, 15).forEach((r) => expect(r).toBe(1));
    ratio.slice(18).forEach((r) => expect(r).toBeCloseTo(1 / 32, 14));
    ratio.slice(15, 18).forEach((r) => {
      expect(r).toBeGreaterThan(1 / 32);
      expect(r).toBeLessThan(1);
    });
    // the blend is monotone: slower frequencies are scaled down more
    expect(ratio[15]).toBeGreaterThan(ratio[16]!);
    expect(ratio[16]).toBeGreaterThan(ratio[17]!);
    expect(relativeError(scaled, ropeFrequencies(64, 500000, scaling))).toBeLessThan(1e-14);
  });

  it('without scaling is theta^(-2i/d)', () => {
    const f = ropeInverseFrequencies(8, 10000);
    expect([...f]).toEqual([...ropeFrequencies(8, 10000)]);
    expect(f[1]).toBeCloseTo(0.1, 15);
    expect(f[3]).toBeCloseTo(0.001, 15);
  });
});
