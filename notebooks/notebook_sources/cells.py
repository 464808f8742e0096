"""What a notebook's cells are made of, and the cells and text every notebook shares."""

Cell = tuple[str, str]  # ("md" | "code" | "parameters", source)


def md(text: str) -> Cell:
    return ("md", text.strip("\n"))


def code(text: str) -> Cell:
    return ("code", text.strip("\n"))


def parameters(text: str) -> Cell:
    return ("parameters", text.strip("\n"))


RUN_HINT = """
Run it in JupyterLab with `netra-diag lab` (the reference service runs beside it), or headless as
a report: `netra-diag report {name} -p KEY VALUE ...` writes the executed notebook, an HTML page
and a JSON summary to `./netra-report/`, and exits non-zero, by class, when a required check
fails. Run by `papermill` itself, the notebook exits 0 whatever its checks say unless given
`-p raise_on_failed_checks True`: its last cell then raises, naming the failed checks (exit 1).
"""


def gate_cell() -> Cell:
    """The last cell: a failed required check fails a papermill run, when asked to."""
    return code(
        """
# papermill exits 0 whatever the checks say; a CI job running it directly asks for exit 1 here.
if raise_on_failed_checks:
    summary.raise_for_failed_checks()
"""
    )
