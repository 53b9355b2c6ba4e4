"""tipnet: the hemispheric information system against trafficking in persons."""

import logging

__version__ = "0.1.0"
STANDARD_VERSION = "1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())
