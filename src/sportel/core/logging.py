"""Structured JSON logs that never carry personal data.

Log records are scrubbed of anything shaped like a NID/NIPT, an email address or a phone number
before they are written, so a careless ``logger.info(f"... {person.nid}")`` does not leak.
"""

import json
import logging
import re

PATTERNS = [
    (re.compile(r"\b[A-T0-9][0-9]{8}[A-Z]\b"), "[nid]"),
    (re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"), "[email]"),
    (re.compile(r"\+?\b(?:355|0)\s?6[0-9][\s-]?[0-9]{3}[\s-]?[0-9]{4}\b"), "[phone]"),
]


def scrub(text: str) -> str:
    for pattern, replacement in PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactPersonalData(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = scrub(record.getMessage())
        record.args = ()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("event", "municipality", "route", "status", "duration_ms", "task"):
            if hasattr(record, key):
                payload[key] = getattr(record, key)
        if record.exc_info:
            payload["exception"] = scrub(self.formatException(record.exc_info))
        return json.dumps(payload, ensure_ascii=False)
