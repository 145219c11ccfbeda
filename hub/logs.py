"""Structured logging: one call at start-up, then ``structlog.get_logger()`` everywhere."""

from __future__ import annotations

import logging
import sys

import structlog

from hub.settings import HubSettings


def configure_logging(settings: HubSettings) -> None:
    """Route structlog and stdlib logging to stderr as console lines or JSON."""
    level = getattr(logging, settings.log_level)
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer()
        if settings.log_format == "json"
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    logging.basicConfig(level=max(level, logging.WARNING), stream=sys.stderr, format="%(name)s: %(message)s")
