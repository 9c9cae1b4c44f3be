"""`mkmultiarch sbom`: an SPDX 2.3 document per platform of a pushed image.

collect (what the image really holds: per platform, its manifest digest, layers and the
Go build info of its entrypoint binary, read over the registry API with verify's bounded
readers) spdx (that, as an SPDX 2.3 JSON document) and write (the files).
"""

from mkmultiarch.inspect.sbom.collect import PlatformImage, collect
from mkmultiarch.inspect.sbom.spdx import document, file_name
from mkmultiarch.inspect.sbom.write import Written, write

__all__ = ["PlatformImage", "Written", "collect", "document", "file_name", "write"]
