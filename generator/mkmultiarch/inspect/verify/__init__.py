"""Check a pushed tag: is it a manifest list, for the expected platforms, of honest images?

One module per job: inputs (what to check, from the command line), tag (the
walk over the list: its entries, their image configs, the platforms against
those expected), binary (is each entrypoint built for its platform), results
(what was found, which report.py renders). Callers import from here.
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
