"""Plain-text helpers shared by ingest, the pipeline, annotation and the corpora."""
