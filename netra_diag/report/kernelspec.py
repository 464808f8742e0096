"""The kernel a report runs with: this interpreter's own, so a report run from the project's
virtualenv executes with the project's packages whatever other kernels are installed."""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["FALLBACK_KERNEL_NAME", "KERNEL_NAME", "ensure_kernel"]

KERNEL_NAME = "python3"
FALLBACK_KERNEL_NAME = "netra-diag"


def ensure_kernel() -> str:
    """The name of a kernel that runs this interpreter.

    jupyter_client starts a kernelspec whose ``argv[0]`` is plain ``python`` with the current
    interpreter, so the standard ``python3`` spec is used when it resolves to us. A ``python3``
    spec pointing elsewhere (e.g. a user-level one) would run the report without the project's
    packages; then a ``netra-diag`` kernelspec for this interpreter is installed into
    ``sys.prefix`` (the virtualenv) and used instead.
    """
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    manager = KernelSpecManager()
    for name in (KERNEL_NAME, FALLBACK_KERNEL_NAME):
        try:
            spec = manager.get_kernel_spec(name)
        except NoSuchKernel:
            continue
        argv0 = spec.argv[0] if spec.argv else ""
        plain = {"python", f"python{sys.version_info[0]}", "python{}.{}".format(*sys.version_info)}
        if argv0 in plain or Path(argv0).resolve() == Path(sys.executable).resolve():
            return name
    from ipykernel.kernelspec import install

    install(
        kernel_name=FALLBACK_KERNEL_NAME,
        display_name="Python 3 (netra-diag)",
        prefix=sys.prefix,
    )
    return FALLBACK_KERNEL_NAME
