"""A merchant's callback endpoint written from the providers' Python recipe (seed 002), with the
standard library only: http.server, the raw request bytes, hmac.compare_digest.

It is what `kukuruku callback check` should pass: verify the signature over the bytes received
(before parsing them), refuse a body over 64 KiB by its Content-Length, refuse a missing, doubled
or wrong signature with 401, acknowledge a repeat and a stale status, apply a status only when it
moves the order forward (PROTOCOL 1.4, D8), refuse a status it does not know (so that Kukuruku
delivers it again later).

Usage: KUKURUKU_SECRET_KEY=... python3 receiver_python.py [PORT]
Listens on 127.0.0.1 (PORT 0 or none: any free port) and prints one line when ready:
    listening on http://127.0.0.1:PORT/callback
"""

import hashlib
import hmac
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SECRET_KEY = os.environ["KUKURUKU_SECRET_KEY"]
LIMIT = 64 * 1024  # a callback is a few hundred bytes

KNOWN = {"created", "processing", "paid", "cancelled", "expired", "failed"}
# PROTOCOL 1.4: the moves an order may make.
FORWARD = {
    "created": {"processing", "paid", "cancelled", "expired", "failed"},
    "processing": {"paid", "failed", "cancelled"},
}

# Each order's status. A real shop keeps this in its database and commits before answering.
orders = {}
orders_lock = threading.Lock()


def verify_signature(body: bytes, signature_header: str, secret_key: str) -> bool:
    """The providers' recipe, verbatim."""
    expected = hmac.new(secret_key.encode(), body, hashlib.sha512).hexdigest()
    return hmac.compare_digest(expected, signature_header)


class CallbackHandler(BaseHTTPRequestHandler):
    def answer(self, status, payload, close=False):
        body = json.dumps(payload, separators=(",", ":")).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if status == 405:
            self.send_header("Allow", "POST")
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.answer(405, {"success": False, "err": "Method not allowed"})

    def do_POST(self):
        if self.path != "/callback":
            return self.answer(404, {"success": False, "err": "Not found"})
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            return self.answer(411, {"success": False, "err": "Length required"}, close=True)
        if length > LIMIT:
            # Refused by its announced size, before reading it.
            return self.answer(413, {"success": False, "err": "Body too large"}, close=True)
        body = self.rfile.read(length)  # the raw bytes, exactly as received

        signatures = self.headers.get_all("signature") or []
        signature = signatures[0].strip() if len(signatures) == 1 else ""
        if not signature.isascii() or not verify_signature(body, signature, SECRET_KEY):
            return self.answer(401, {"success": False, "err": "Invalid signature"})

        try:
            order = json.loads(body)
            order_id = next(
                str(order[k]) for k in ("uuid", "token", "order_id", "id") if order.get(k) is not None
            )
            status = str(order["status"]).lower()
        except (ValueError, KeyError, TypeError, AttributeError, StopIteration):
            return self.answer(400, {"success": False, "err": "Not an order"})
        if status not in KNOWN:
            return self.answer(422, {"success": False, "err": "Unknown status"})

        with orders_lock:
            current = orders.get(order_id)
            if current is None or status in FORWARD.get(current, ()):
                orders[order_id] = status
            # Otherwise a repeat or a stale status: nothing to apply, and still a success.
        self.answer(200, {"success": True})

    def log_message(self, format, *args):
        if os.environ.get("KUKURUKU_RECEIVER_LOG"):
            super().log_message(format, *args)


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    server = ThreadingHTTPServer(("127.0.0.1", port), CallbackHandler)
    server.daemon_threads = True
    print(f"listening on http://127.0.0.1:{server.server_address[1]}/callback", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
