import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asyncBufferFromFile, parquetMetadataAsync } from 'hyparquet';
import { expect, it } from 'vitest';
import { HfTokenizer } from '@rr/model';
import { describeWithFixtures, fixture } from '@rr/tensor/testing';
import { readDocuments } from './documents.js';
import { TokenPacker } from './packer.js';

/**
 * Real parquet files, written by hyparquet-writer (fixtures/scripts/make-parquet.mjs), read
 * through the data path a recipe uses: several row groups, compressed and uncompressed pages, and
 * text in columns that are not named "text". Each file was made from a text or JSONL fixture, so
 * what the parquet reader returns is checked against what the other readers return from the source.
 */
const STORIES = 'parquet/tinystories-stories.parquet';
const STORIES_TEXT = 'text/tinystories/toyrnn_tinystories_sample_2MiB.txt';
const GSM8K = 'parquet/gsm8k-test-head.parquet';
const GSM8K_JSONL = 'gsm8k/test.jsonl';

describeWithFixtures('parquet data', [STORIES, STORIES_TEXT, GSM8K, GSM8K_JSONL, 'models/stories260K-hf'], () => {
  it('the fixture is a multi-row-group file whose text column is "story"', async () => {
    const meta = await parquetMetadataAsync(await asyncBufferFromFile(fixture(STORIES)));
    expect(meta.row_groups.map((g) => Number(g.num_rows))).toEqual([50, 50, 20]);
    expect(meta.schema.slice(1).map((s) => s.name)).toEqual(['id', 'story']);
    expect(new Set(meta.row_groups.flatMap((g) => g.columns.map((c) => c.meta_data?.codec)))).toEqual(new Set(['SNAPPY']));
  });

  it('reads the "story" column across row groups as the same documents as the text it was made from', async () => {
    const fromParquet = await readDocuments({ path: fixture(STORIES), field: 'story' });
    const fromText = (await readDocuments({ path: fixture(STORIES_TEXT) })).slice(0, 120);
    expect(fromParquet).toHaveLength(120);
    expect(fromParquet).toEqual(fromText);
  });

  it('renders GSM8K columns through a template, as from the JSONL it was made from', async () => {
    const template = 'Question: {question}\nAnswer: {answer}';
    const fromParquet = await readDocuments({ path: fixture(GSM8K), template, promptTemplate: 'Q{question}' });
    const fromJsonl = (await readDocuments({ path: fixture(GSM8K_JSONL), template, promptTemplate: 'Q{question}' })).slice(0, 40);
    expect(fromParquet).toHaveLength(40);
    expect(fromParquet).toEqual(fromJsonl);
  });

  it('a field the file lacks is named, with the fields it has', async () => {
    const read = readDocuments({ path: fixture(STORIES) });
    await expect(read).rejects.toMatchObject({
      code: 'DATA_INVALID',
      message: expect.stringContaining('no column "text" (columns: id, story); set "field" or "template"'),
    });
  });

  it('a file that is not parquet is refused by name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rr-parquet-'));
    try {
      const path = join(dir, 'notes.parquet');
      writeFileSync(path, 'plain text, not parquet\n');
      await expect(readDocuments({ path, field: 'story' })).rejects.toMatchObject({
        code: 'DATA_INVALID',
        message: expect.stringContaining(`${path}: cannot read parquet`),
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('packs the stories into the same token rows as the text file', async () => {
    const dir = fixture('models/stories260K-hf');
    const { bos_token_id: bos, eos_token_id: eos } = JSON.parse(readFileSync(`${dir}/generation_config.json`, 'utf8')) as {
      bos_token_id: number;
      eos_token_id: number;
    };
    const tokenizer = HfTokenizer.fromDirectory(dir, { bos, eos });
    const rows = 6;
    const parquet = await new TokenPacker([{ path: fixture(STORIES), field: 'story' }], tokenizer, 65).next(rows);
    const text = await new TokenPacker([{ path: fixture(STORIES_TEXT) }], tokenizer, 65).next(rows);
    expect([...parquet]).toEqual([...text]);
    expect(tokenizer.decode([...parquet.subarray(1, 20)])).toMatch(/^\S/);
  });
});
