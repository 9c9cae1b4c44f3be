"""Product one: multiarch.yaml in, a team-owned Makefile (and Dockerfile) out."""
