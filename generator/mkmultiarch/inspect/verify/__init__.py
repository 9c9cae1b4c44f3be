"""Check a pushed tag: is it a manifest list, for the expected platforms, of honest images?

Callers import from here, so that the checks can live in one module per job.
"""

from mkmultiarch.inspect.verify.inputs import VerifyInputError, VerifyPlan, parse_arch_tokens, plan
from mkmultiarch.inspect.verify.results import EntryResult, VerifyResult
from mkmultiarch.inspect.verify.tag import verify

__all__ = [
    "EntryResult",
    "VerifyInputError",
    "VerifyPlan",
    "VerifyResult",
    "parse_arch_tokens",
    "plan",
    "verify",
]
