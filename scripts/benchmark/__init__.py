"""The template's benchmark, one module per part; run it with `python -m scripts.benchmark` (see __main__.py)."""
