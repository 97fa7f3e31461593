"""Structured log lines: one per request (``courseware.requests``) and one per domain event
(``courseware.events``), each carrying its fields in ``extra={"fields": {...}}``.

Settings' LOGGING renders them with ``JsonFormatter`` (production: one JSON object a line,
for a log collector) or ``TextFormatter`` (development: the fields as key=value).
"""

import json
import logging
import time
import uuid

logger = logging.getLogger("courseware.requests")


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        # Behind a proxy that sets one, keep its request id so log lines join up.
        request.request_id = request.headers.get("X-Request-ID") or uuid.uuid4().hex
        response = self.get_response(request)
        user = getattr(request, "user", None)
        logger.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "fields": {
                    "request_id": request.request_id,
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    "user_id": user.pk if user is not None and user.is_authenticated else None,
                    "remote_addr": request.META.get("REMOTE_ADDR"),
                }
            },
        )
        response["X-Request-ID"] = request.request_id
        return response


def _fields(record: logging.LogRecord) -> dict:
    return getattr(record, "fields", None) or {}


class JsonFormatter(logging.Formatter):
    """Log records as single-line JSON, with their structured fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **_fields(record),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        # Decimals (scores) and datetimes are written as their text.
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """``time level logger message key=value …``: a value with a space, a quote or an equals
    sign is quoted as JSON, so every line still splits into its fields."""

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        pairs = [f"{key}={_text_value(value)}" for key, value in _fields(record).items()]
        if not pairs:
            return line
        # The traceback, if any, stays last, below the line.
        first, newline, rest = line.partition("\n")
        return f"{first} {' '.join(pairs)}{newline}{rest}"


def _text_value(value) -> str:
    text = "-" if value is None else str(value)
    if not text or any(c in text for c in ' "=\n\t'):
        return json.dumps(text, ensure_ascii=False)
    return text
