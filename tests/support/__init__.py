"""What the tests share: fakes, builders and helpers, one module per job.

Test modules import from here, never from each other; conftest.py files hold
fixtures only.
"""
