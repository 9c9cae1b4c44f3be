"""End-to-end tests: real Docker builds and pushes (environment: scripts/test-env.sh).

A package so that tests can import the helpers in conftest.py relatively
(``from .conftest import ...``) without clashing with other conftest modules.
"""
