import { loadModel } from '@rr/model';
import { type AdapterInit, type SaveFormat, type SurgeryReport, retrofit, saveRetrofitted } from '@rr/surgery';
import { createBackend } from '../backends.js';

export interface SurgeryCommandOptions {
  model: string;
  plan: string;
  adapterInit: AdapterInit;
  initScale: number;
  seed: number;
  tokenizer?: string;
  out: string;
  force?: boolean;
  format?: SaveFormat;
}

/** `rr surgery`: load, retrofit, write the recurrent checkpoint; returns the report. */
export async function surgeryCommand(o: SurgeryCommandOptions): Promise<SurgeryReport & { out: string }> {
  const backend = await createBackend('cpu');
  try {
    const { model, rawConfig, tokenizerFiles } = loadModel(o.model, backend, o.tokenizer ? { tokenizerPath: o.tokenizer } : {});
    const r = retrofit(model, o.plan, { adapterInit: o.adapterInit, initScale: o.initScale, seed: o.seed });
    await saveRetrofitted(o.out, r, { baseConfig: rawConfig, tokenizerFiles, baseModel: o.model, force: o.force, format: o.format });
    return { ...r.report, out: o.out };
  } finally {
    backend.destroy();
  }
}

export function formatSurgeryReport(r: SurgeryReport & { out: string }): string {
  const fmt = (n: number): string => n.toLocaleString('en-US');
  const p = r.parameters;
  const lines = [
    `wrote ${r.out}`,
    `plan: prelude [${r.plan.prelude.join(',')}]  block [${r.plan.block.join(',')}]  coda [${r.plan.coda.join(',')}]  dropped [${r.dropped.join(',')}] of ${r.baseLayers} layers`,
    'parameters:',
    ...(['embedding', 'prelude', 'adapter', 'block', 'coda', 'normAndHead', 'total', 'base'] as const).map(
      (k) => `  ${k.padEnd(12)} ${fmt(p[k]).padStart(16)}`,
    ),
    '   r   depth   GFLOP/token',
    ...r.depth.map((d) => `${String(d.recurrence).padStart(4)} ${String(d.layers).padStart(7)} ${(d.flopsPerToken / 1e9).toFixed(4).padStart(13)}`),
  ];
  return `${lines.join('\n')}\n`;
}
