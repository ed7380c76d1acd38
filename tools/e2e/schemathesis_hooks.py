"""Hooks for the schemathesis stage (tools/e2e/api-fuzz.sh).

Two answers depend on state a schema-driven generator can not know, and are right as they are:
a generated Idempotency-Key ("0", again and again) names an earlier create with another body
(422 by design), and a generated cursor names no page the server handed out (400). So each
valid key gets a unique suffix, and positive cases leave random cursors out; invalid keys and
cursors are still sent as generated, and must still be refused.
"""

import re
import uuid

import schemathesis

# A valid key short enough to take "-" and 32 hex digits within the 128-character limit.
SHORT_VALID_KEY = re.compile(r"[!-~]{1,95}")


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    headers = case.headers
    key = headers.get("Idempotency-Key") if headers else None
    if isinstance(key, str) and SHORT_VALID_KEY.fullmatch(key):
        headers["Idempotency-Key"] = f"{key}-{uuid.uuid4().hex}"
    positive = case.meta is not None and case.meta.generation.mode == "positive"
    if positive and case.query and "cursor" in case.query:
        del case.query["cursor"]
