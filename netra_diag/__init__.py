"""netra_diag: diagnostics for a real-time AI-agent WebSocket service."""

from netra_diag.errors import NetraDiagError

__all__ = ["NetraDiagError", "__version__"]
__version__ = "0.1.0"
