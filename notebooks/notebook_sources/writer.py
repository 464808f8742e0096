# mypy: disallow-untyped-calls=False
# (nbformat has no type annotations)
"""A notebook's cells as the text of a clean ``.ipynb``: no outputs, no execution counts, stable
cell ids, its ``parameters`` cell tagged for papermill."""

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from notebook_sources.cells import Cell


def notebook_from_cells(name: str, cells: list[Cell]) -> nbformat.NotebookNode:
    nb: nbformat.NotebookNode = new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    for index, (kind, source) in enumerate(cells):
        # Stable ids keep regenerated notebooks byte-identical.
        cell_id = f"{name.replace('_', '-')}-{index:02d}"
        if kind == "md":
            nb.cells.append(new_markdown_cell(source, id=cell_id))
        else:
            cell = new_code_cell(source, id=cell_id)
            if kind == "parameters":
                cell.metadata["tags"] = ["parameters"]
            nb.cells.append(cell)
    return nb


def notebook_text(name: str, cells: list[Cell]) -> str:
    """The file's text: what nbformat writes, ending in a newline as editors save it."""
    text: str = nbformat.writes(notebook_from_cells(name, cells))
    return text + "\n"
