"""The built-in contract rules, one module per concern, composed by ``netra_diag.events.contracts``.

Every rule is a :data:`~netra_diag.events.rules.base.Check`: a plain callable taking the whole event
stream and a :class:`~netra_diag.events.rules.base.ContractContext` and yielding findings.
"""

__all__: list[str] = []
