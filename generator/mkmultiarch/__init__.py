"""mkmultiarch: generate team-owned Makefiles and Dockerfiles for multi-arch container images."""

__version__ = "0.1.0"
