"""Learned backends: public loaders, training, storage, the classify CLI and the pipeline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from kratom_nlp.taxonomy import STRENGTHS

FIX = Path(__file__).parent / "fixtures" / "models"
GOLD_FIXTURE = FIX / "gold"
SENTENCES = FIX / "strength_sentences.jsonl"
ROOT = Path(__file__).resolve().parents[1]


def _fixture_rows(nlp):
    from kratom_nlp.training.data import sentence_rows

    recs = [json.loads(line) for line in SENTENCES.read_text().splitlines() if line.strip()]
    return sentence_rows(nlp, [r["text"] for r in recs], [{"strength": r["label"]} for r in recs])


@pytest.fixture(scope="module")
def strength_sklearn(nlp, tmp_path_factory):
    """A tiny scikit-learn strength model trained on the fixture sentences and stored."""
    from kratom_nlp.training import sk

    rows = _fixture_rows(nlp)
    model = sk.fit([r.example for r in rows], [r.labels["strength"] for r in rows],
                   task="strength", kind="classifier", labels=STRENGTHS, context=False)
    folder = tmp_path_factory.mktemp("models") / "strength-sklearn"
    sk.save(model, folder)
    return model, folder, rows


@pytest.fixture(scope="module")
def claim_sklearn(nlp, tmp_path_factory):
    """A claim model trained through ``train_model`` on the fixture gold corpus."""
    from kratom_nlp.training.train import train_model

    out = tmp_path_factory.mktemp("models") / "claim-sklearn"
    # No real texts here: the model is scored on the fixture's own dev split (the fallback).
    no_real = tmp_path_factory.mktemp("no-real-news")
    train_model("claim", "sklearn", "gold", corpus=GOLD_FIXTURE, output=out, nlp=nlp, log=None,
                real_data_dir=no_real)
    return out


# --------------------------------------------------------------------------- public loaders
def test_public_loaders_on_the_real_files(shared_data):
    from kratom_nlp.corpora import public

    cs = public.load_claim_strength(shared_data)
    assert len(cs) == 3061
    assert cs.features["label"].names == list(STRENGTHS)
    counts = {n: 0 for n in STRENGTHS}
    for y in cs["label"]:
        counts[STRENGTHS[y]] += 1
    assert counts == {"no_relationship": 1356, "correlational": 998, "conditional_causal": 213,
                      "direct_causal": 494}
    ins = public.load_insciout(shared_data)
    assert len(ins) == 100
    assert ins.features["exaggeration_label"].names == ["downplays", "same", "exaggerates"]
    cert = public.load_certainty(shared_data)
    assert set(cert) == {"train", "val"}
    assert len(cert["train"]) + len(cert["val"]) == 1220
    scores = cert["val"]["sentence-level-certainty"]
    assert all(1.0 <= s <= 6.0 for s in scores)
    cd = public.load_conclusion_detection(shared_data)
    assert (len(cd["train"]), len(cd["dev"])) == (1138, 355)
    assert cd["train"].features["label"].names == ["other", "main_finding"]


def test_public_loader_names_the_missing_file(tmp_path):
    from kratom_nlp.corpora import public

    with pytest.raises(FileNotFoundError, match="pubmed_conclusions.jsonl"):
        public.load_claim_strength(tmp_path)
    with pytest.raises(FileNotFoundError, match="sentence_level_certainty.jsonl"):
        public.load_certainty(tmp_path)
    with pytest.raises(FileNotFoundError, match="conclusion_detection/train.jsonl"):
        public.load_conclusion_detection(tmp_path)


# --------------------------------------------------------------------------- sklearn
def test_tiny_sklearn_training_learns_the_fixture(strength_sklearn):
    from kratom_nlp.training import evaluate

    model, _, rows = strength_sklearn
    probs = evaluate.model_outputs(model, rows)
    assert probs.shape == (len(rows), len(STRENGTHS))
    assert abs(probs.sum(axis=1) - 1).max() < 1e-6
    preds = evaluate.decode("strength", probs)
    acc = sum(p == r.labels["strength"] for p, r in zip(preds, rows, strict=True)) / len(rows)
    assert acc >= 0.9


def test_array_format_round_trip_gives_equal_predictions(strength_sklearn):
    from kratom_nlp.backends.learned.models import load_field_model

    model, folder, rows = strength_sklearn
    names = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert {"weights.safetensors", "metadata.json"} <= names
    assert any(n.startswith("vocab/") for n in names)
    assert not [n for n in names if n.endswith((".skops", ".pkl", ".pickle", ".joblib"))]
    meta = json.loads((folder / "metadata.json").read_text())
    assert meta["task"] == "strength" and meta["labels"] == list(STRENGTHS)
    assert meta["format"] == "kratom-linear" and set(meta["files"]) == names - {"metadata.json"}
    loaded = load_field_model(folder)
    examples = [r.example for r in rows]
    assert abs(loaded.predict(examples) - model.predict(examples)).max() < 1e-6  # float32


@pytest.mark.parametrize("classifier", ["linearsvc", "logreg"])
def test_array_format_predicts_what_scikit_learn_predicts(nlp, classifier):
    """The numpy predict path reproduces the fitted scikit-learn pipeline (word, char,
    context and rule features; calibrated SVM or logistic regression; ridge)."""
    from kratom_nlp.training import sk
    from kratom_nlp.training.convert import from_sklearn

    rows = _fixture_rows(nlp)
    for i, r in enumerate(rows):
        r.example.context = rows[i - 1].example.text if i else ""
    x = sk.to_matrix([r.example for r in rows])
    y = [r.labels["strength"] for r in rows]
    est = sk.make_estimator("classifier", context=True, params={
        "classifier": classifier, "calibration_folds": 2})
    est.fit(x, y)
    linear = from_sklearn(est, list(STRENGTHS), "classifier")
    ref = est.predict_proba(x)
    got = linear.predict([r.example.row() for r in rows])
    order = [list(STRENGTHS).index(c) for c in est.classes_]
    assert abs(got[:, order] - ref).max() < 1e-9
    reg = sk.make_estimator("regressor", context=False)
    values = [float(len(r.example.text) % 5 + 1) for r in rows]
    reg.fit(x, values)
    lin_reg = from_sklearn(reg, None, "regressor")
    assert abs(lin_reg.predict([r.example.row() for r in rows]) - reg.predict(x)).max() < 1e-9


def test_a_crafted_weights_file_is_refused_before_anything_runs(strength_sklearn, tmp_path):
    """A pickle that would run code, swapped in for the weights, is refused by the sha256
    check; nothing in the folder is ever unpickled."""
    import pickle
    import shutil

    from kratom_nlp.backends.learned.models import load_field_model
    from kratom_nlp.errors import ModelError

    _, folder, _ = strength_sklearn
    evil = tmp_path / "evil-strength"
    shutil.copytree(folder, evil)
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    (evil / "weights.safetensors").write_bytes(pickle.dumps(Payload()))
    with pytest.raises(ModelError, match="sha256"):
        load_field_model(evil)
    assert not marker.exists()
    # a folder that only offers a pickle-like format is refused by name, before reading it
    meta = json.loads((evil / "metadata.json").read_text())
    meta["files"] = {"model.skops": "0" * 64}
    (evil / "metadata.json").write_text(json.dumps(meta))
    (evil / "model.skops").write_bytes(pickle.dumps(Payload()))
    with pytest.raises(ModelError, match="can run code"):
        load_field_model(evil)
    assert not marker.exists()


def test_models_folder_refuses_changed_or_unlisted_models(strength_sklearn, tmp_path):
    import shutil

    from kratom_nlp.backends.learned import store
    from kratom_nlp.backends.learned.models import load_field_model
    from kratom_nlp.errors import ModelError

    _, folder, _ = strength_sklearn
    root = tmp_path / "models"
    shutil.copytree(folder, root / "strength-sklearn")
    with pytest.raises(ModelError, match="not listed"):
        load_field_model(root / "strength-sklearn", root)
    digests = {p.relative_to(root / "strength-sklearn").as_posix(): store.sha256_file(p)
               for p in (root / "strength-sklearn").rglob("*") if p.is_file()}
    store.register_model("strength", "sklearn", root / "strength-sklearn", digests, root=root)
    assert load_field_model(root / "strength-sklearn", root).task == "strength"
    vocab = next((root / "strength-sklearn" / "vocab").iterdir())
    vocab.write_text(vocab.read_text().replace('"', "'", 2))
    store_cache_clear()
    with pytest.raises(ModelError, match="sha256"):
        load_field_model(root / "strength-sklearn", root)


def store_cache_clear() -> None:
    from kratom_nlp.backends.learned import models

    models._load_cached.cache_clear()


def test_train_model_writes_weights_config_and_card(claim_sklearn):
    cfg = json.loads((claim_sklearn / "config.json").read_text())
    assert cfg["task"] == "claim" and cfg["backend"] == "sklearn" and cfg["seed"] == 0
    card = (claim_sklearn / "README.md").read_text()
    assert "## Training data" in card and "Apache-2.0" in card and "claim-sklearn" in card
    meta = json.loads((claim_sklearn / "metadata.json").read_text())
    assert meta["metrics"]["protocol"] == "written dev split, all sentences"
    assert 0.0 <= meta["metrics"]["model"]["f1"] <= 1.0


def test_a_model_trained_into_a_copy_of_the_models_folder_is_in_its_manifest(nlp, tmp_path):
    """Training into a models folder other than the configured one (a copy that
    ``$KRATOM_NLP_MODELS`` will name later) registers the model in that folder's manifest, so
    the copy loads it; a folder with no manifest gets none written."""
    from kratom_nlp.backends.learned import store
    from kratom_nlp.backends.learned.models import load_field_model
    from kratom_nlp.training.train import train_model

    copy = tmp_path / "models-copy"
    copy.mkdir()
    (copy / "manifest.json").write_text(json.dumps({"files": {}}), encoding="utf-8")
    no_real = tmp_path / "no-real-news"
    kwargs = {"corpus": GOLD_FIXTURE, "nlp": nlp, "log": None, "real_data_dir": no_real,
              "run_eval": False}
    folder = train_model("advice", "sklearn", "gold", output=copy / "advice-sklearn", **kwargs)
    manifest = store.read_manifest(copy)
    assert manifest["advice"] == {"sklearn": "advice-sklearn", "default": "sklearn"}
    listed = {k for k in manifest["files"] if k.startswith("advice-sklearn/")}
    assert {"advice-sklearn/metadata.json", "advice-sklearn/weights.safetensors"} <= listed
    store_cache_clear()
    assert load_field_model(folder, copy).task == "advice"  # the copy's manifest checks out

    loose = tmp_path / "elsewhere"
    train_model("advice", "sklearn", "gold", output=loose / "advice-sklearn", **kwargs)
    assert not (loose / "manifest.json").exists()


def test_train_rejects_data_that_cannot_train_the_task():
    from kratom_nlp.training.train import parse_data

    with pytest.raises(ValueError, match="cannot train 'claim'"):
        parse_data("claim", "pubmed")
    assert parse_data("strength", "gold+pubmed") == [("gold", 1.0), ("pubmed", 1.0)]
    assert parse_data("strength", "real+gold:0.5") == [("real", 1.0), ("gold", 0.5)]
    with pytest.raises(ValueError, match="positive"):
        parse_data("claim", "real+gold:0")


def test_sklearn_training_is_reproducible(nlp):
    from kratom_nlp.training import sk

    rows = _fixture_rows(nlp)
    ex, y = [r.example for r in rows], [r.labels["strength"] for r in rows]
    a = sk.fit(ex, y, task="strength", kind="classifier", labels=STRENGTHS, context=False, seed=3)
    b = sk.fit(ex, y, task="strength", kind="classifier", labels=STRENGTHS, context=False, seed=3)
    assert (a.predict(ex) == b.predict(ex)).all()


# --------------------------------------------------------------------------- backends
def test_learned_backend_falls_back_to_rules_without_models(tmp_path):
    from kratom_nlp.backends import make_backend
    from kratom_nlp.backends.learned.backends import ModelFallbackWarning, learned_backend
    from kratom_nlp.backends.rules import RulesBackend
    from kratom_nlp.errors import ModelError

    with pytest.warns(ModelFallbackWarning, match="rules"):
        backend = learned_backend("sklearn", "claim", root=tmp_path)
    assert isinstance(backend, RulesBackend)
    with pytest.raises(ModelError, match="no model folder"):
        make_backend("transformer", "evidence", str(tmp_path / "nope"))
    with pytest.raises(ModelError, match="no trained sklearn model"):
        learned_backend("sklearn", "strength", root=tmp_path, strict=True)


def test_strength_backend_predicts_on_spans(nlp, strength_sklearn):
    from kratom_nlp.backends.base import StrengthBackend
    from kratom_nlp.backends.learned.backends import learned_backend

    _, folder, _ = strength_sklearn
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the model must load, not fall back to the rules
        backend = learned_backend("sklearn", "strength", str(folder))
    assert isinstance(backend, StrengthBackend) and backend.strength_model is not None
    doc = nlp("Kratom relieves back pain. Kratom may ease anxiety.")
    preds = backend.predict_strength(list(doc.spans["sentences"]))
    assert len(preds) == 2
    assert all(p.strength in STRENGTHS and 1.0 <= p.certainty <= 6.0 for p in preds)
    assert all(abs(sum(v for k, v in p.scores.items() if k != "advice") - 1) < 1e-3
               for p in preds)


@pytest.mark.slow
def test_transformer_backend_loads_offline_and_predicts(nlp, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    from kratom_nlp.backends.learned.backends import learned_backend
    from kratom_nlp.backends.learned.models import load_field_model
    from kratom_nlp.training import hf

    rows = _fixture_rows(nlp)
    model = hf.fine_tune([r.example for r in rows], [r.labels["strength"] for r in rows],
                         task="strength", kind="classifier", labels=STRENGTHS, context=False,
                         params={"epochs": 1, "max_length": 32, "batch_size": 8}, log=None)
    folder = tmp_path / "strength-transformer"
    hf.save(model, folder)
    assert (folder / "encoder" / "model.safetensors").is_file()
    assert (folder / "encoder" / "config.json").is_file()
    assert (folder / "encoder" / "tokenizer_config.json").is_file()
    loaded = load_field_model(folder)
    examples = [r.example for r in rows[:5]]
    assert abs(loaded.predict(examples) - model.predict(examples)).max() < 2e-2  # fp16 storage
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        backend = learned_backend("transformer", "strength", str(folder))
    assert backend.strength_model is not None
    doc = nlp("Kratom relieves back pain. Kratom may ease anxiety. Kratom is sold online.")
    preds = backend.predict_strength(list(doc.spans["sentences"]))
    assert len(preds) == 3
    assert all(p.strength in STRENGTHS for p in preds)
    assert all(abs(sum(v for k, v in p.scores.items() if k != "advice") - 1) < 1e-3
               for p in preds)


def test_pipeline_runs_with_sklearn_backends(claim_sklearn, strength_sklearn):
    from kratom_nlp.api import analyze
    from kratom_nlp.pipeline import build_pipeline

    _, strength_dir, _ = strength_sklearn
    nlp2 = build_pipeline(overrides={
        "components.kratom_claims.backend": {"@kratom_backends": "kratom.sklearn.v1",
                                             "task": "claim", "model": str(claim_sklearn)},
        "components.kratom_strength.backend": {"@kratom_backends": "kratom.sklearn.v1",
                                               "task": "strength", "model": str(strength_dir)},
    })
    claims = nlp2.get_pipe("kratom_claims").backend
    assert claims.name == "sklearn"
    assert nlp2.get_pipe("kratom_strength").backend.strength_model is not None
    result = analyze("Kratom relieves chronic pain in most adults. A survey of kratom users "
                     "found that most took it for back pain.", nlp=nlp2)
    assert result["summary"]["claims"] == len(result["claims"])
    for c in result["claims"]:
        assert c["strength"] in STRENGTHS


def test_pipeline_with_the_stored_default_models():
    """Every default the manifest names loads (its sha256 checks pass) without a fallback."""
    from kratom_nlp.backends.learned import store

    manifest = store.read_manifest()
    learned = {t for t in store.TASKS if (manifest.get(t) or {}).get("default")
               in store.LEARNED_BACKENDS}
    if not learned:
        pytest.skip("no learned default models in models/manifest.json")
    from kratom_nlp.api import analyze
    from kratom_nlp.pipeline import build_pipeline

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every named default must load
        nlp2 = build_pipeline()
    result = analyze("Kratom relieves chronic pain. Studies in mice suggest kratom may lower "
                     "anxiety.", nlp=nlp2)
    assert store.models_dir().is_dir() and result["summary"]["claims"] >= 1


# --------------------------------------------------------------------------- classify CLI
def _run_cli(args: list[str]):
    from typer.testing import CliRunner

    from kratom_nlp.cli import _register, app

    _register()
    return CliRunner().invoke(app, args)


def test_classify_reports_malformed_lines_and_keeps_the_rest(tmp_path, strength_sklearn):
    _, folder, _ = strength_sklearn
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join([
        json.dumps({"id": 1, "text": "Green tea prevents weight gain."}),
        '{"id": 2, "text": "broken',
        "[1, 2, 3]",
        json.dumps({"id": 4, "text": "Garlic may lower cholesterol."}),
    ]) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    res = _run_cli(["classify", str(src), "--task", "strength", "--backend", "sklearn",
                    "--model", str(folder), "-o", str(out)])
    assert res.exit_code == 3  # finished, some lines failed
    assert ":2:" in res.stderr and "truncated JSON" in res.stderr  # a cut line, said so
    assert ":3:" in res.stderr and "not a JSON object" in res.stderr
    recs = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in recs] == [1, 4]
    assert all(r["prediction"] in STRENGTHS and set(r["scores"]) == set(STRENGTHS)
               for r in recs)
    errors = [json.loads(line) for line in
              (tmp_path / "out.jsonl.errors.jsonl").read_text().splitlines()]
    assert [e["line"] for e in errors] == [2, 3]


def test_classify_missing_text_field_is_a_clear_error(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"sentence": "Kratom relieves pain."}) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    res = _run_cli(["classify", str(src), "--task", "claim", "--backend", "rules",
                    "-o", str(out)])
    assert res.exit_code != 0
    assert "'text' is missing" in res.stderr and "--text-field" in res.stderr
    assert out.read_text() == ""
    res = _run_cli(["classify", str(src), "--task", "claim", "--backend", "rules",
                    "--text-field", "sentence", "-o", str(out)])
    assert res.exit_code == 0, res.stderr
    rec = json.loads(out.read_text())
    assert rec["prediction"] == "efficacy"


def test_classify_without_a_trained_model_fails_clearly(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"text": "Kratom relieves pain."}) + "\n", encoding="utf-8")
    res = _run_cli(["classify", str(src), "--task", "evidence", "--backend", "sklearn",
                    "--model", str(tmp_path / "missing"), "-o", str(tmp_path / "o.jsonl")])
    assert res.exit_code == 21
    assert "no model folder" in res.stderr


def test_train_cli_stores_a_model_with_its_card(tmp_path):
    out = tmp_path / "evidence-sklearn"
    res = _run_cli(["train", "evidence", "--backend", "sklearn", "--data", "gold",
                    "--corpus", str(GOLD_FIXTURE), "--seed", "1", "-o", str(out),
                    "--real-data-dir", str(tmp_path / "no-real-news")])
    assert res.exit_code == 0, res.stderr
    assert {"weights.safetensors", "metadata.json", "config.json", "README.md"} <= {
        p.name for p in out.iterdir()}
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["seed"] == 1 and cfg["command"].startswith("kratom-nlp train evidence")
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["inputs"]["context"] is True  # evidence reads the previous sentence
    assert meta["metrics"]["protocol"].startswith("written dev split")  # no real texts there


def test_train_cli_refuses_a_wrong_data_source(tmp_path):
    res = _run_cli(["train", "claim", "--data", "pubmed", "-o", str(tmp_path / "x")])
    assert res.exit_code == 2
    assert "cannot train 'claim'" in res.stderr
    assert not (tmp_path / "x").exists()


def test_bfloat16_inference_agrees_with_float32(monkeypatch):
    """The bf16 path (chosen automatically on CPUs with native bfloat16 units) gives the same
    decisions as float32 and probabilities within 0.03; an unknown precision is refused."""
    import numpy as np

    from kratom_nlp.backends.learned import store
    from kratom_nlp.backends.learned.features import Example
    from kratom_nlp.backends.learned.minilm import PRECISION_ENV, resolve_precision
    from kratom_nlp.backends.learned.models import MultiTaskEncoder, MultiTaskFieldModel

    folder = store.resolve_model_dir("transformer", "claim")
    if folder is None:
        pytest.skip("no stored transformer model")
    texts = ["Kratom cures depression.", "The FDA warned consumers not to use kratom.",
             "In mice, mitragynine reduced withdrawal signs.", "Subscribe to our newsletter.",
             "A survey of 2,798 users found that most took kratom for pain."]
    examples = [Example(t, texts[i - 1] if i else "") for i, t in enumerate(texts)]
    meta = store.read_metadata(folder)
    shared = {p: MultiTaskEncoder(folder, meta, p) for p in ("fp32", "bf16")}
    assert shared["bf16"].vectors(texts).dtype == np.float32
    for task in ("claim", "evidence", "strength"):
        probs = {p: MultiTaskFieldModel(enc, task).predict(examples)
                 for p, enc in shared.items()}
        assert float(np.abs(probs["bf16"] - probs["fp32"]).max()) < 0.03
        assert probs["bf16"].argmax(-1).tolist() == probs["fp32"].argmax(-1).tolist()
    monkeypatch.setenv(PRECISION_ENV, "fp32")
    assert resolve_precision("auto") == "fp32"
    monkeypatch.setenv(PRECISION_ENV, "fp64")
    with pytest.raises(ValueError, match="fp64"):
        resolve_precision("auto")
    monkeypatch.delenv(PRECISION_ENV)
    assert resolve_precision("auto") in ("fp32", "bf16")
    assert store.inference_precision() in ("auto", "fp32", "bf16")


def test_openmp_threads_do_not_spin_for_long_unless_the_user_says_so():
    code = "import os, kratom_nlp; print(os.environ['GOMP_SPINCOUNT'])"
    env = {k: v for k, v in os.environ.items() if k != "GOMP_SPINCOUNT"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                         text=True, check=True).stdout.strip()
    assert out == "10000"
    env["GOMP_SPINCOUNT"] = "123"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                         text=True, check=True).stdout.strip()
    assert out == "123"


def test_the_plain_torch_minilm_matches_transformers():
    """Stored transformer models run without `transformers` at inference; the encoder's
    [CLS] vectors agree with Hugging Face's BertModel on the same weights."""
    import torch
    from safetensors.torch import load_file
    from transformers import AutoConfig, AutoModel

    from kratom_nlp.backends.learned import store
    from kratom_nlp.backends.learned.minilm import BASE_WORD_EMBEDDINGS, MiniLMClassifier
    from kratom_nlp.backends.learned.models import base_model_path, quiet_transformers

    folder = store.resolve_model_dir("transformer", "evidence")
    if folder is None:
        pytest.skip("no stored transformer model")
    quiet_transformers()
    texts = ["Kratom cures depression.", "In a randomized trial of 412 adults, the drug cut "
             "pain by a third compared with placebo, the researchers said."]
    base = base_model_path() / "model.safetensors"
    net = MiniLMClassifier(folder / "encoder", base, 128)
    hf = AutoModel.from_config(AutoConfig.from_pretrained(folder / "encoder",
                                                          local_files_only=True))
    state = {k.removeprefix("bert."): v.float()
             for k, v in load_file(folder / "encoder" / "model.safetensors").items()
             if k.startswith("bert.")}
    state["embeddings.word_embeddings.weight"] = load_file(base)[BASE_WORD_EMBEDDINGS]
    missing = hf.load_state_dict(state, strict=False).missing_keys
    assert all(k.startswith("pooler.") or k.endswith("position_ids") for k in missing)
    enc = net.tokenizer.encode_batch(texts)
    ids = torch.tensor([e.ids for e in enc])
    mask = torch.tensor([e.attention_mask for e in enc])
    with torch.inference_mode():
        ours = net.first_token(texts)
        theirs = hf.eval()(input_ids=ids, attention_mask=mask,
                           token_type_ids=torch.zeros_like(ids)).last_hidden_state[:, 0]
    assert float((ours - theirs).abs().max()) < 1e-4


def test_word_embedding_rows_are_read_from_the_file_as_the_matrix_holds_them():
    """The base model's word embeddings are not held in memory: a lookup reads the rows it
    needs from the file, the same values as indexing the whole matrix, in any shape."""
    import torch
    from safetensors.torch import load_file

    from kratom_nlp.backends.learned.minilm import BASE_WORD_EMBEDDINGS, EmbeddingRows
    from kratom_nlp.backends.learned.models import base_model_path

    path = str(base_model_path() / "model.safetensors")
    matrix = load_file(path)[BASE_WORD_EMBEDDINGS]
    rows = EmbeddingRows(path, BASE_WORD_EMBEDDINGS)
    ids = torch.tensor([[101, 7592, 7592, 0], [30521, 2023, 102, 0]])
    assert rows.shape == tuple(matrix.shape)
    assert torch.equal(rows[ids], matrix[ids])
    assert rows[torch.zeros((0, 4), dtype=torch.long)].shape == (0, 4, matrix.shape[1])
    half = EmbeddingRows(path, BASE_WORD_EMBEDDINGS, "bf16")[ids]
    assert half.dtype == torch.bfloat16 and torch.equal(half, matrix[ids].to(torch.bfloat16))
    with pytest.raises(IndexError):
        rows[torch.tensor([matrix.shape[0]])]
    import pickle

    again = pickle.loads(pickle.dumps(rows))  # a spawned worker opens the file itself
    assert again._fd != rows._fd and torch.equal(again[ids], matrix[ids])
    with pytest.raises(ValueError, match="no float32 matrix"):
        EmbeddingRows(path, "no.such.weight")


# --------------------------------------------------------------------------- multi-task model
@pytest.fixture(scope="module")
def multitask_model(nlp, tmp_path_factory):
    """A tiny multi-task MiniLM (one epoch on the fixture gold corpus), fitted and stored."""
    from kratom_nlp.training import multitask
    from kratom_nlp.training.data import gold_rows

    items = multitask.items_from_rows(gold_rows(nlp, ("train",), GOLD_FIXTURE))
    fitted = multitask.fit_multitask(items, params={"epochs": 1, "max_length": 48,
                                                    "batch_size": 8}, log=None)
    folder = tmp_path_factory.mktemp("models") / "multitask-transformer"
    multitask.save_multitask(fitted, folder)
    return fitted, folder, items


@pytest.mark.slow
def test_multitask_heads_predict_what_the_trained_network_predicts(multitask_model,
                                                                   monkeypatch):
    import numpy as np
    import torch

    from kratom_nlp.backends.learned.features import Example
    from kratom_nlp.backends.learned.models import load_field_model

    monkeypatch.setenv("KRATOM_NLP_PRECISION", "fp32")
    fitted, folder, items = multitask_model
    meta = json.loads((folder / "metadata.json").read_text())
    assert meta["format"] == "kratom-multitask"
    assert meta["tasks"]["evidence"]["inputs"] == "sentence+previous"
    examples = [Example(it.text, it.context) for it in items[:8]]
    net, tok = fitted["net"], fitted["tokenizer"]

    def first_token(texts):
        enc = tok([t or "." for t in texts], padding=True, truncation=True, max_length=48,
                  return_tensors="pt")
        return net.encoder(**enc).last_hidden_state[:, 0]

    with torch.inference_mode():
        own = first_token([e.text for e in examples])
        prev = first_token([e.context for e in examples])
        has_prev = torch.tensor([bool(e.context) for e in examples], dtype=torch.float32)
        assert 0 < has_prev.sum() < len(examples)  # both kinds of rows are checked
        for task in ("claim", "evidence", "strength"):
            ref = torch.softmax(net.head(task, own, prev, has_prev), -1).numpy()
            got = load_field_model(folder, task=task).predict(examples)
            assert got.shape == ref.shape
            assert np.abs(got - ref).max() < 2e-2  # fp16 storage


@pytest.mark.slow
def test_multitask_backends_share_one_forward_pass_per_sentence(nlp, multitask_model):
    from kratom_nlp.backends.learned.backends import learned_backend
    from kratom_nlp.backends.learned.models import clear_memos, load_field_model

    _, folder, _ = multitask_model
    shared = load_field_model(folder, task="claim").shared
    clear_memos()
    calls = []
    real = shared.net.first_token
    shared.net.first_token = lambda texts: calls.append(list(texts)) or real(texts)
    try:
        doc = nlp("A trial of 80 adults tested kratom. It relieved their back pain. "
                  "Kratom may ease anxiety.")
        sents = list(doc.spans["sentences"])
        claims = learned_backend("transformer", "claim", str(folder), strict=True)
        evidence = learned_backend("transformer", "evidence", str(folder), strict=True)
        strength = learned_backend("transformer", "strength", str(folder), strict=True)
        assert len(claims.predict_claims(sents)) == 3
        encoded = [t for c in calls for t in c]
        assert sorted(encoded) == sorted({s._.text for s in sents})
        assert len(evidence.predict_evidence(sents[1:])) == 2  # previous sentences from the memo
        assert len(strength.predict_strength(sents[1:])) == 2
        assert [t for c in calls for t in c] == encoded  # no second pass
    finally:
        shared.net.first_token = real


def test_sentences_are_batched_by_their_token_counts(multitask_model):
    """The encoder batches sentences of similar token counts (exact, from the tokenizer), not
    of similar character counts: a batch is padded to its longest sentence. The vectors are
    the same either way, to float noise."""
    from kratom_nlp.backends.learned.models import clear_memos, length_batches, load_field_model

    # characters mislead: a short text of numbers and a long one of common words
    chars, tokens = [40, 60, 12, 100], [30, 14, 12, 24]
    assert length_batches(chars, 2, 96) == [[2, 0], [1, 3]]
    assert length_batches(chars, 2, 96, tokens) == [[2, 1], [3, 0]]
    _, folder, _ = multitask_model
    shared = load_field_model(folder, task="claim").shared
    texts = ["Valerian root eased sleep in 1,204 of 2,337 adults (51.5%, 95% CI 49.4-53.6).",
             "Tea helps.", "Regular walking after meals may lower blood sugar in older adults "
             "with type 2 diabetes, a small trial suggests.", "Kratom is not a cure."]
    counts = shared.net.token_counts(texts)
    # the padded encoding's attention mask counts the same tokens
    assert counts == [sum(e.attention_mask) for e in shared.net.tokenizer.encode_batch(texts)]
    # the numbers take more tokens than the longer sentence of common words
    assert len(texts[0]) < len(texts[2]) and counts[0] > counts[2]
    clear_memos()
    by_tokens = shared.vectors(texts)
    real = shared.net.token_counts
    shared.net.token_counts = lambda texts: None  # batch by characters, as before
    try:
        clear_memos()
        by_chars = shared.vectors(texts)
    finally:
        shared.net.token_counts = real
    np.testing.assert_allclose(by_tokens, by_chars, atol=1e-4)


def test_multitask_memo_belongs_to_its_thread(multitask_model):
    """Another thread's claim call (which empties the memo) never takes away the vectors a
    thread has just encoded: the desk analyses on several threads with one pipeline."""
    import threading

    from kratom_nlp.backends.learned.models import load_field_model

    _, folder, _ = multitask_model
    shared = load_field_model(folder, task="claim").shared
    shared.clear_memo()
    mine = shared.vectors(["Kratom eased pain in a trial.", "It helped."])
    other = threading.Thread(target=lambda: (shared.clear_memo(),
                                             shared.vectors(["Another thread's sentence."])))
    other.start()
    other.join()
    calls = []
    real = shared.net.first_token
    shared.net.first_token = lambda texts: calls.append(list(texts)) or real(texts)
    try:
        again = shared.vectors(["Kratom eased pain in a trial.", "It helped."])
    finally:
        shared.net.first_token = real
    assert calls == []  # still in this thread's memo
    assert np.array_equal(again, mine)
    assert "Another thread's sentence." not in shared._memo


def test_train_cli_multitask_needs_the_transformer_backend(tmp_path):
    res = _run_cli(["train", "multitask", "--backend", "sklearn", "-o", str(tmp_path / "x")])
    assert res.exit_code == 2
    assert "--backend transformer" in res.stderr
    assert not (tmp_path / "x").exists()


@pytest.mark.slow
def test_train_cli_stores_a_multitask_model_with_its_card(tmp_path):
    out = tmp_path / "multitask-transformer"
    res = _run_cli(["train", "multitask", "--backend", "transformer", "--data", "gold",
                    "--corpus", str(GOLD_FIXTURE), "--epochs", "1", "--max-length", "32",
                    "-o", str(out)])
    assert res.exit_code == 0, res.stderr
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["format"] == "kratom-multitask"
    assert set(meta["tasks"]) == {"claim", "evidence", "strength"}
    assert meta["params"]["epochs"] == 1 and meta["params"]["max_length"] == 32
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["command"].startswith("kratom-nlp train multitask --backend transformer "
                                     "--data gold ")
    assert "## Training data" in (out / "README.md").read_text()


def test_a_loaded_model_saves_the_vocabulary_it_was_loaded_from(nlp, strength_sklearn,
                                                                tmp_path):
    """A block keeps no vocabulary of its own: its terms live once, as hashes, in the space
    it shares with the other models' blocks (the default models are loaded by ``nlp``), and
    saving a loaded model writes them again, in column order, from the file it came from."""
    from kratom_nlp.backends.learned.linear import _SPACES, load_linear, save_linear

    _, folder, rows = strength_sklearn
    meta = json.loads((folder / "metadata.json").read_text())
    model = load_linear(folder, meta)
    text_blocks = [b for b in model.featurizer.blocks if hasattr(b, "space")]
    assert text_blocks and all(b.space.size > b.size for b in text_blocks)  # shared
    assert all(b.space in _SPACES.values() for b in text_blocks)
    keep = {k: v for k, v in meta.items() if k not in ("featurizer", "files", "output")}
    save_linear(model, tmp_path / "again", keep)
    vocab = sorted(rel for rel in meta["files"] if rel.startswith("vocab/"))
    assert vocab
    for rel in vocab:
        assert (tmp_path / "again" / rel).read_bytes() == (folder / rel).read_bytes(), rel
    from kratom_nlp.backends.learned.models import LinearFieldModel

    examples = [r.example for r in rows]
    first, again = (LinearFieldModel(f, json.loads((f / "metadata.json").read_text()))
                    for f in (folder, tmp_path / "again"))
    assert np.array_equal(again.predict(examples), first.predict(examples))


def test_a_term_space_counts_what_a_dictionary_of_its_terms_counts(monkeypatch):
    """The hashed term space finds exactly the terms a dict of the strings finds, for words
    and character n-grams, in texts looked up alone and together; two terms with one hash
    are refused when the vocabulary is added."""
    from collections import Counter

    from kratom_nlp.backends.learned import linear

    texts = ["Kratom eased pain in mice.", "kratom  eased PAIN", "", "Valerian, kava and balm.",
             "Kratom eased pain in mice."]
    for analyzer, grams, pattern in (("word", (1, 2), r"(?u)\b\w\w+\b"), ("char_wb", (2, 4), None)):
        space = linear.TermSpace(analyzer, grams, True, pattern)
        every = Counter()
        for t in texts:
            every.update(linear.word_ngrams(t, space.pattern, True, grams) if pattern
                         else linear.char_wb_ngrams(t, True, grams))
        vocab = {t: i for i, t in enumerate(sorted(every)[::2])}  # half the terms known
        cols = space.add(vocab)
        term_of = {int(cols[j]): t for t, j in vocab.items()}
        rows, ids, counts = space.counts(texts)
        for k, t in enumerate(texts):
            terms = (linear.word_ngrams(t, space.pattern, True, grams) if pattern
                     else linear.char_wb_ngrams(t, True, grams))
            want = Counter(x for x in terms if x in vocab)
            got = {term_of[int(i)]: c for r, i, c in zip(rows, ids, counts, strict=True)
                   if r == k}
            assert got == want, (analyzer, t)
            assert sorted(term_of[int(i)] for i in space.ids(t)) == sorted(want.elements())
    # a batch larger than the memos: they fill to their caps, the counts stay the same
    monkeypatch.setattr(linear.TermSpace, "MAX_TEXTS", 2)
    monkeypatch.setattr(linear.TermSpace, "MAX_WORDS", 3)
    for analyzer, grams, pattern in (("word", (1, 2), r"(?u)\b\w\w+\b"), ("char_wb", (2, 4), None)):
        small = linear.TermSpace(analyzer, grams, True, pattern)
        big = linear.TermSpace(analyzer, grams, True, pattern)
        terms = ["kratom", "eased", "pain", "kratom eased", " kr", "ain ", "ice."]
        small.add({t: i for i, t in enumerate(terms)})
        big.add({t: i for i, t in enumerate(terms)})
        monkeypatch.setattr(big, "MAX_TEXTS", 100)
        monkeypatch.setattr(big, "MAX_WORDS", 100)
        for got, want in zip(small.counts(texts), big.counts(texts), strict=True):
            assert np.array_equal(got, want), analyzer
        assert len(small._texts) <= 2 and len(small._words) <= 3
    monkeypatch.setattr(linear, "_hashes", lambda terms: np.zeros(len(terms), np.int64))
    with pytest.raises(ValueError, match="same hash"):
        linear.TermSpace("word", (1, 1), True, r"\w+").add({"kava": 0, "balm": 1})


def test_the_manifest_sets_the_transformer_batch_size(tmp_path):
    from kratom_nlp.backends.learned import store
    from kratom_nlp.errors import ModelError

    assert store.inference_batch_size(tmp_path) is None  # no manifest: each model's own
    manifest = tmp_path / store.MANIFEST_NAME
    for value, expected in ((16, 16), (None, None)):
        manifest.write_text(json.dumps({"inference": {"precision": "auto",
                                                      "batch_size": value}}))
        assert store.inference_batch_size(tmp_path) == expected
    for bad in (0, -3, "16", 2.5, True):
        manifest.write_text(json.dumps({"inference": {"batch_size": bad}}))
        with pytest.raises(ModelError, match="batch_size"):
            store.inference_batch_size(tmp_path)
    assert store.inference_batch_size() == 16  # the stored models' setting


def test_unload_forgets_what_was_loaded_and_live_pipelines_keep_working(nlp):
    """``kratom-nlp batch`` unloads before it writes its tables; a pipeline someone still
    holds (here the session's) analyses as before, on the models it was built with."""
    from kratom_nlp import api
    from kratom_nlp.backends.learned import linear, models
    from kratom_nlp.pipeline import load_pipeline

    text = (FIX.parents[0] / "articles" / "overclaiming.txt").read_text()
    before = api.analyze(text, nlp=nlp)["claims"]
    assert load_pipeline.cache_info().currsize and models._load_cached.cache_info().currsize
    api.unload()
    assert load_pipeline.cache_info().currsize == 0
    assert models._load_cached.cache_info().currsize == 0 and not models._MULTITASK
    assert not linear._SPACES and not linear._SHARED
    assert api.analyze(text, nlp=nlp)["claims"] == before


def test_a_long_call_is_predicted_in_chunks_with_the_same_result(strength_sklearn):
    """More rows than ``PREDICT_CHUNK`` are featurised chunk by chunk (memory); the
    probabilities are those of one pass over all rows."""
    from kratom_nlp.backends.learned.models import PREDICT_CHUNK, load_field_model

    _, folder, rows = strength_sklearn
    loaded = load_field_model(folder)
    examples = [r.example for r in rows]
    examples = (examples * (2 * PREDICT_CHUNK // len(examples) + 2))[:2 * PREDICT_CHUNK + 7]
    chunked = loaded.predict(examples)
    whole = loaded.model.predict([e.row() for e in examples], {})
    assert chunked.shape == whole.shape == (2 * PREDICT_CHUNK + 7, len(STRENGTHS))
    assert np.allclose(chunked, whole, atol=1e-12)


class _FixedModel:
    """A field model with fixed class probabilities (for the ensemble's arithmetic)."""

    def __init__(self, backend: str, probs: list[list[float]]) -> None:
        from kratom_nlp.backends.learned.models import FieldModel

        self.__class__ = type("Fixed", (_FixedModel, FieldModel), {})
        FieldModel.__init__(self, Path("."), {"task": "claim", "kind": "classifier",
                                              "labels": ["none", "efficacy", "risk"]})
        self.backend = backend
        self.probs = np.array(probs)
        self.seen: list[int] = []

    def predict(self, examples, cache=None):
        idx = [int(e) for e in examples]
        self.seen.extend(idx)
        return self.probs[idx]


def test_the_ensemble_spares_its_transformer_the_rows_the_others_rule_out():
    from kratom_nlp.backends.learned.models import EnsembleFieldModel

    cheap = _FixedModel("sklearn", [[0.9, 0.05, 0.05],   # claim 0.1: ruled out
                                    [0.6, 0.3, 0.1],     # claim 0.4: open (0.7*0.4+0.3 >= 0.5)
                                    [0.2, 0.7, 0.1],     # plainly a claim: open
                                    [0.72, 0.2, 0.08]])  # 0.7*0.28+0.3 = 0.496: ruled out
    dear = _FixedModel("transformer", [[0.0, 1.0, 0.0]] * 4)  # the most it could add
    ens = EnsembleFieldModel([(cheap, 0.7), (dear, 0.3)])
    rows = ["0", "1", "2", "3"]
    full = ens.predict(rows)
    dear.seen.clear()
    lazy = ens.predict_ruling_out(rows, {}, "none", 0.5)
    assert dear.seen == [1, 2]  # the transformer saw only the open rows
    np.testing.assert_allclose(lazy[[1, 2]], full[[1, 2]])
    np.testing.assert_allclose(lazy[[0, 3]], cheap.probs[[0, 3]])  # the others' scores alone
    # the decision is the full ensemble's, even with the transformer at its most certain
    assert ((1 - lazy[:, 0]) >= 0.5).tolist() == ((1 - full[:, 0]) >= 0.5).tolist() \
        == [False, True, True, False]


def test_the_default_claim_decisions_are_the_full_ensembles(nlp):
    """The stored claim ensemble sends its transformer only the sentences its scikit-learn
    member leaves open, and decides every sentence as the full ensemble does."""
    from kratom_nlp.backends.learned.backends import LearnedClaimBackend
    from kratom_nlp.backends.learned.models import EnsembleFieldModel

    backend = nlp.get_pipe("kratom_claims").backend
    model = getattr(backend, "model", None)
    if not isinstance(model, EnsembleFieldModel) or \
            not any(m.backend == "transformer" for m, _ in model.members):
        pytest.skip("the default claim backend is not an ensemble with a transformer")
    doc = nlp("Green tea extract lowered blood pressure in a trial of 200 adults. The trial "
              "ran for twelve weeks. The weather was mild that spring. Our office is closed "
              "on Sundays. Take two capsules a day to sleep better. Call us to learn more.")
    sents = list(doc.spans["sentences"])
    full = LearnedClaimBackend(model, skip_ruled_out=False).predict_claims(sents)
    lazy = LearnedClaimBackend(model).predict_claims(sents)
    assert [p.is_claim for p in lazy] == [p.is_claim for p in full]
    opened = [f.scores == z.scores for f, z in zip(full, lazy, strict=True)]
    w_transformer = sum(w for m, w in model.members if m.backend == "transformer")
    if w_transformer < 0.5:
        assert any(opened) and not all(opened)  # some sentences never reached the transformer
    else:  # the transformer alone can lift any sentence to 0.5: none is ruled out without it
        assert all(opened)
    for f, z, same in zip(full, lazy, opened, strict=True):
        if not same:  # ruled out: not a claim either way, and scored below 0.5 by both
            assert not f.is_claim and z.score < 0.5 and f.score < 0.5


def test_the_claim_component_encodes_a_batch_ahead_with_the_same_analyses(nlp, monkeypatch):
    """With ``overlap_encoder`` the claim component starts a batch's forward passes in the
    encoder's background thread and tags the next batch meanwhile; the analyses are those of
    the same pipeline with the look-ahead off. In a process meant to keep one core busy (a
    worker of ``--n-process``) nothing is started ahead."""
    import threading

    from kratom_nlp.api import analyze_many
    from kratom_nlp.backends.learned import models
    from kratom_nlp.ingest import read_text

    claims = nlp.get_pipe("kratom_claims")
    encoders = getattr(getattr(claims.backend, "model", None), "encoders", lambda: [])()
    if len(encoders) != 1:
        pytest.skip("the default claim backend is not an ensemble with one encoder")
    encoder = encoders[0]
    folder = ROOT / "tests" / "fixtures" / "articles"
    texts = [p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.txt"))]
    texts += ["Valerian tea may ease sleep, a small trial of 40 adults found. Take a cup "
              "nightly.", "Moringa powder cured my fatigue in a week. Try it today."]
    threads: list[str] = []
    real = encoder.encode
    monkeypatch.setattr(encoder, "encode", lambda batch: threads.append(
        threading.current_thread().name) or real(batch))

    def analyses(overlap: bool) -> list[dict]:
        monkeypatch.setattr(claims, "overlap_encoder", overlap)
        threads.clear()
        models.clear_memos()
        return list(analyze_many((read_text(t) for t in texts), nlp, batch_size=2))

    monkeypatch.setattr(models, "_CORES", 2)
    ahead = analyses(True)
    assert any(name.startswith("kratom-encoder") for name in threads)
    assert ahead == analyses(False)
    assert not any(name.startswith("kratom-encoder") for name in threads)
    monkeypatch.setattr(models, "_CORES", 1)  # as in a forked worker
    doc = nlp(texts[0])
    assert claims.backend.prefetch(list(doc.spans["sentences"])) is None
    assert analyses(True) == ahead
    assert not any(name.startswith("kratom-encoder") for name in threads)


def test_the_encoders_background_thread_is_started_again_after_a_fork(multitask_model):
    """A forked process inherits the encoder object but not its thread: ``prefetch`` starts
    a new one there instead of queueing work no thread would run."""
    from kratom_nlp.backends.learned.models import load_field_model

    _, folder, _ = multitask_model
    shared = load_field_model(folder, task="claim").shared
    first = shared.prefetch(["Kava may calm nerves."]).result()
    executor = shared._executor
    shared._executor_pid = -1  # as if this were the forked child of the process that made it
    again = shared.prefetch(["Kava may calm nerves."]).result()
    assert shared._executor is not executor
    np.testing.assert_allclose(first["Kava may calm nerves."], again["Kava may calm nerves."],
                               atol=1e-5)
