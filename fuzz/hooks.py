# Schemathesis hooks for fuzz/run.sh (loaded through SCHEMATHESIS_HOOKS).
import uuid

import schemathesis


@schemathesis.hook
def before_call(context, case, kwargs):
    # A generated X-Idempotency-Key is mostly a short value ("0", "a") sent again and again,
    # and the API answers a repeated key with the response stored for it (as pretix does),
    # whatever the path: a POST would get the 204 of an earlier DELETE. A fresh key for each
    # request keeps every answer its own.
    for name, value in (case.headers or {}).items():
        if name.lower() == "x-idempotency-key" and value:
            case.headers[name] = uuid.uuid4().hex
