"""The providers' Python recipe for creating a payin (seed 002), with `requests`.

As the recipe signs: compact json.dumps(data, separators=(',', ':')) and
hmac.new(key, body, hashlib.sha512).hexdigest(), then requests.post(...) without a Session,
as the recipe calls it. One change: the recipe's `json=data` would send json.dumps(data) with
default separators (spaces), not the bytes signed, and Kukuruku answers 401
(tests/tests/interop_python.rs shows it); this sends `data=body`, the signed bytes.

COUNT payins, one at a time (CONCURRENCY 1) or from a thread pool of CONCURRENCY threads, as a
merchant's Python service would.

usage: KUKURUKU_SECRET_KEY=... python requests_payins.py BASE_URL COUNT CONCURRENCY PREFIX
Prints one JSON line: {"count","errors","seconds","per_second"}.
"""

import hashlib
import hmac
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import requests

SECRET_KEY = os.environ["KUKURUKU_SECRET_KEY"]


def create_payin(base_url, order_number):
    data = {
        "merchant_id": "1",
        "amount": 50000,
        "currency": "RUB",
        "callback_url": "http://127.0.0.1:9/callback",
        "order_number": order_number,
        "redirect_success_url": "https://your-site.com/success",
        "redirect_fail_url": "https://your-site.com/fail",
        "customer": {
            "client_id": "user@example.com"
        }
    }
    body = json.dumps(data, separators=(',', ':'))
    signature = hmac.new(
        SECRET_KEY.encode(), body.encode(), hashlib.sha512
    ).hexdigest()
    response = requests.post(
        base_url + '/api/v1/orders/payins',
        data=body,
        headers={'Content-Type': 'application/json', 'signature': signature}
    )
    return response.ok


def main():
    base_url, count, concurrency, prefix = sys.argv[1:5]
    count, concurrency = int(count), int(concurrency)
    names = [f"{prefix}-{n}" for n in range(count)]
    started = time.perf_counter()
    if concurrency <= 1:
        results = [create_payin(base_url, name) for name in names]
    else:
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            results = list(pool.map(lambda name: create_payin(base_url, name), names))
    seconds = time.perf_counter() - started
    errors = sum(1 for ok in results if not ok)
    print(json.dumps({"count": count, "errors": errors, "seconds": seconds,
                      "per_second": count / seconds}))


if __name__ == "__main__":
    main()
