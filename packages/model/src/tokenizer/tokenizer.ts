/** What rr needs of a tokenizer; Hugging Face tokenizer.json and llama2.c's tokenizer.bin both provide it. */
export interface TextTokenizer {
  readonly vocabSize: number;
  readonly bosId: number;
  readonly eosId: number;
  /** Token ids of `text`; `bos`/`eos` add the special tokens (default: bos true, eos false). */
  encode(text: string, options?: { bos?: boolean; eos?: boolean }): number[];
  /** Text of `ids` without special tokens. */
  decode(ids: readonly number[]): string;
}
