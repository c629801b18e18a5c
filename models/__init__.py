"""The trained models of kratom_nlp, installed as the data package ``kratom_nlp_models``.

Nothing here is code to run: the folders hold arrays and JSON (see README.md); the loader in
``kratom_nlp.backends.learned`` finds them through this package and checks every file's sha256
against ``manifest.json``.
"""
