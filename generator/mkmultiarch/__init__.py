"""mkmultiarch: generate team-owned Makefiles and Dockerfiles for multi-arch images."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("mkmultiarch")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0+source"
