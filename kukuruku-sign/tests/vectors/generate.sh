#!/usr/bin/env bash
# Regenerates the signature vectors of this folder with the providers' own recipes (seed 002):
# PHP (json_encode defaults + hash_hmac), Python (json.dumps + hmac) and Node (JSON.stringify +
# crypto). Each vector is NAME.body (the exact bytes signed) and NAME.sig (128 hex digits).
# Run: `cargo xtask vectors` (needs php, python3 and node).
set -euo pipefail
cd "$(dirname "$0")"
KEY='rmQXpjQyAtzS65oVhRLwY9s669UyDKJl'

# PHP default json_encode: escapes "/" as "\/".
php -r '
$data = ["merchant_id" => "1", "amount" => 50000, "currency" => "RUB",
  "callback_url" => "https://your-site.com/callback", "order_number" => "order-123",
  "redirect_success_url" => "https://your-site.com/success",
  "redirect_fail_url" => "https://your-site.com/fail",
  "customer" => ["client_id" => "user@example.com"]];
$body = json_encode($data);
file_put_contents("php_default.body", $body);
file_put_contents("php_default.sig", hash_hmac("sha512", $body, $argv[1]));
' "$KEY"

# Python: default json.dumps (", " and ": " separators) and the seed's compact form.
python3 - "$KEY" <<'PY'
import hashlib, hmac, json, sys
key = sys.argv[1].encode()
data = {"merchant_id": "1", "amount": 50000, "currency": "RUB",
        "callback_url": "https://your-site.com/callback", "order_number": "order-123",
        "redirect_success_url": "https://your-site.com/success",
        "redirect_fail_url": "https://your-site.com/fail",
        "customer": {"client_id": "user@example.com"}}
for name, body in (("python_default", json.dumps(data)),
                   ("python_compact", json.dumps(data, separators=(",", ":")))):
    raw = body.encode()
    open(name + ".body", "wb").write(raw)
    open(name + ".sig", "w").write(hmac.new(key, raw, hashlib.sha512).hexdigest())
PY

# Node: JSON.stringify (what the seed's Node example signs), with Node's crypto.
node - "$KEY" <<'JS'
const crypto = require('crypto');
const fs = require('fs');
const key = process.argv[2];
const data = { merchant_id: "1", amount: 50000, currency: "RUB",
  callback_url: "https://your-site.com/callback", order_number: "order-123",
  redirect_success_url: "https://your-site.com/success",
  redirect_fail_url: "https://your-site.com/fail",
  customer: { client_id: "user@example.com" } };
const body = JSON.stringify(data);
fs.writeFileSync("node_stringify.body", body);
fs.writeFileSync("node_stringify.sig", crypto.createHmac("sha512", key).update(body).digest("hex"));
// Non-ASCII and an empty body, to pin UTF-8 and the D1 input.
const utf8 = JSON.stringify({ merchant_id: "1", comment: "Оплата заказа №5 — ☕" });
fs.writeFileSync("node_utf8.body", utf8);
fs.writeFileSync("node_utf8.sig", crypto.createHmac("sha512", key).update(utf8, "utf8").digest("hex"));
fs.writeFileSync("empty_object.body", "{}");
fs.writeFileSync("empty_object.sig", crypto.createHmac("sha512", key).update("{}").digest("hex"));
JS
echo "vectors written to $(pwd)"
