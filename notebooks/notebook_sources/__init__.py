"""The notebooks of this folder as source: one module per notebook, each holding its ``CELLS``.

:mod:`.cells` has the cell helpers and the text every notebook shares, :mod:`.writer` turns a
notebook's cells into the ``.ipynb`` text; ``../build_notebooks.py`` writes or checks the files.
"""
