"""``log_output``: everything logged during a test, at DEBUG, exactly as our handler writes it."""

import io
import logging

import pytest
from structlog.stdlib import ProcessorFormatter


@pytest.fixture
def log_output():
    """A callable returning the text logged so far: every logger at DEBUG, structlog and stdlib
    alike, through the formatter ``core.logging`` installed (redaction included)."""
    root = logging.getLogger()
    formatter = next(
        handler.formatter
        for handler in root.handlers
        if isinstance(handler.formatter, ProcessorFormatter)
    )
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    loggers = [root, *(logging.getLogger(name) for name in list(logging.root.manager.loggerDict))]
    levels = [(logger, logger.level) for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
    root.addHandler(handler)
    try:
        yield stream.getvalue
    finally:
        root.removeHandler(handler)
        for logger, level in levels:
            logger.setLevel(level)
