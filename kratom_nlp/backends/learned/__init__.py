"""Learned backends: scikit-learn linear models and fine-tuned MiniLM transformers.

``features`` (what a model sees, read from the Doc) · ``linear`` (the array format of the
scikit-learn models and its predict path) · ``models`` (field models and their loading) ·
``store`` (the models folder, the manifest and the sha256 check) · ``backends`` (predictions
for the pipeline components). torch and transformers are imported only by a transformer model.
"""
