"""Golden values for @rr/eval-gsm8k from lm-evaluation-harness's own code.

Dev-only; the package never runs Python. Run it when the harness changes, and compare with the
values pinned in src/**/*.test.ts:

    python -m venv --system-site-packages /tmp/lmv
    /tmp/lmv/bin/pip install --no-deps lm_eval==0.4.13      # plus numpy, pyyaml, jinja2
    /tmp/lmv/bin/python scripts/harness-oracle.py ../../../shared/data/gsm8k [cases.json] > /tmp/oracle.json

It uses the harness's RegexFilter, exact_match_hf_evaluate, mean_stderr and ContextSampler, the
task YAMLs shipped in the wheel, and the harness's Jinja environment. Prompt assembly mirrors
ConfigurableTask.fewshot_context/build_qa_turn for plain-text (no chat template) prompts, which
needs the `datasets` package to run for real; the assembly is three lines and is copied here.
"""

import json
import os
import sys
import types

sys.modules.setdefault("sacrebleu", types.ModuleType("sacrebleu"))  # imported by metrics.py, unused here

import lm_eval
import yaml
from lm_eval.api.metrics import exact_match_hf_evaluate, mean_stderr
from lm_eval.api.samplers import ContextSampler, FirstNSampler
from lm_eval.filters.extraction import RegexFilter
from lm_eval.utils import apply_template

TASK_DIR = os.path.join(os.path.dirname(lm_eval.__file__), "tasks", "gsm8k")


def load_yaml(name):
    with open(os.path.join(TASK_DIR, name)) as f:
        return yaml.safe_load(f)


def read_jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


def render(cfg, fewshot_docs, doc):
    """ConfigurableTask.fewshot_context for plain text: text + ' ' + target + '\\n\\n' per shot."""
    out = ""
    for fs in fewshot_docs:
        out += apply_template(cfg["doc_to_text"], fs) + " " + apply_template(cfg["doc_to_target"], fs) + "\n\n"
    return out + apply_template(cfg["doc_to_text"], doc)


def extraction_cases(cfg, cases):
    filters = {
        f["name"]: RegexFilter(
            regex_pattern=f["filter"][0]["regex_pattern"],
            group_select=f["filter"][0].get("group_select", 0),
        )
        for f in cfg["filter_list"]
    }
    metric = cfg["metric_list"][0]
    out = []
    for completion, target in cases:
        row = {"completion": completion, "target": target}
        for name, flt in filters.items():
            extracted = flt.apply([[completion]], None)[0][0]
            em = exact_match_hf_evaluate(
                predictions=[extracted],
                references=[target],
                regexes_to_ignore=metric["regexes_to_ignore"],
                ignore_case=metric["ignore_case"],
                ignore_punctuation=metric["ignore_punctuation"],
            )["exact_match"]
            row[name] = {"extracted": extracted, "correct": bool(em == 1.0)}
        out.append(row)
    return out


def main():
    data_dir = sys.argv[1]
    train = read_jsonl(os.path.join(data_dir, "train.jsonl"))
    test = read_jsonl(os.path.join(data_dir, "test.jsonl"))
    cot = load_yaml("gsm8k-cot.yaml")
    plain = load_yaml("gsm8k.yaml")

    # gsm8k-cot: first_n over the YAML's 8 exemplars.
    cot_sampler = FirstNSampler(cot["fewshot_config"]["samples"], rnd=1234)
    cot_prompt_2shot = render(cot, cot_sampler.sample(2), test[0])

    # gsm8k: the evaluator calls set_fewshot_seed(1234), then one draw per test doc in order.
    sampler = ContextSampler(train, rnd=1234)
    sampler.set_rnd(1234)
    index_of = {id(d): i for i, d in enumerate(train)}
    draws = [[index_of[id(d)] for d in sampler.sample(5)] for _ in range(20)]
    sampler.set_rnd(1234)
    gsm8k_prompt_doc0 = render(plain, sampler.sample(5), test[0])

    cases = {"gsm8k-cot": [], "gsm8k": []}
    if len(sys.argv) > 2:  # [[completion, target], ...] per task, e.g. dumped from the TS test table
        with open(sys.argv[2]) as f:
            cases = json.load(f)
    json.dump(
        {
            "lm_eval_version": lm_eval.__version__,
            "cot_prompt_2shot_test0": cot_prompt_2shot,
            "gsm8k_fewshot_indices_first20": draws,
            "gsm8k_prompt_5shot_test0": gsm8k_prompt_doc0,
            "cot_target_test0": apply_template(cot["doc_to_target"], test[0]),
            "extraction": {
                "gsm8k-cot": extraction_cases(cot, cases.get("gsm8k-cot", [])),
                "gsm8k": extraction_cases(plain, cases.get("gsm8k", [])),
            },
            "mean_stderr": {
                "1,0,1,1": mean_stderr([1.0, 0.0, 1.0, 1.0]),
                "1,0,0,0,0,1,0": mean_stderr([1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0]),
            },
        },
        sys.stdout,
        indent=1,
    )


if __name__ == "__main__":
    main()
