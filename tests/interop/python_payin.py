"""The providers' own Python recipe (seed 002), run against the sandbox by tests/tests/interop_python.rs.

Signs exactly as the documentation does: compact json.dumps(data, separators=(',', ':')) and
hmac.new(key, body, hashlib.sha512).hexdigest(). Sends with the standard library's urllib (no
pip install), the exact bytes that were signed.

usage: python3 python_payin.py BASE_URL ORDER_NUMBER CALLBACK_URL MODE
  MODE = ok        send the signed body
         tampered  change the amount after signing
         requests  send json.dumps(data) with default separators, as requests.post(json=data)
                   does in the seed's example, with the signature of the compact body
The secret comes from the environment variable KUKURUKU_SECRET_KEY.
Prints one JSON line: {"status": <http status>, "body": "<answer>", "sent": "<body sent>"}.
"""

import hashlib
import hmac
import json
import os
import sys
import urllib.error
import urllib.request


def main():
    base_url, order_number, callback_url, mode = sys.argv[1:5]
    secret_key = os.environ["KUKURUKU_SECRET_KEY"]
    data = {
        "merchant_id": "1",
        "amount": 50000,
        "currency": "RUB",
        "callback_url": callback_url,
        "order_number": order_number,
        "redirect_success_url": "https://your-site.com/success",
        "redirect_fail_url": "https://your-site.com/fail",
        "customer": {
            "client_id": "user@example.com"
        }
    }
    body = json.dumps(data, separators=(',', ':'))
    signature = hmac.new(
        secret_key.encode(), body.encode(), hashlib.sha512
    ).hexdigest()

    if mode == "tampered":
        body = body.replace('"amount":50000', '"amount":1')
    elif mode == "requests":
        body = json.dumps(data)
    elif mode != "ok":
        raise SystemExit("unknown mode " + mode)

    request = urllib.request.Request(
        base_url + "/api/v1/orders/payins",
        data=body.encode(),
        method="POST",
        headers={"Content-Type": "application/json", "signature": signature},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, answer = response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        status, answer = error.code, error.read().decode()
    print(json.dumps({"status": status, "body": answer, "sent": body}))


if __name__ == "__main__":
    main()
