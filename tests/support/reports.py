"""Whether a test failed, for fixtures that explain failures in their teardown."""


def call_failed(request) -> bool:
    """True when the test body failed (set by the report hook in tests/conftest.py)."""
    report = getattr(request.node, "report_call", None)
    return report is None or report.failed
