// The providers' Node recipe for creating a payin (seed 002), verbatim but for the loop around
// it: js-sha512 over JSON.stringify(data), then axios with that data (axios serialises it
// with JSON.stringify again: the same bytes). COUNT payins, CONCURRENCY at a time (that many
// async loops, as a Node merchant would run them), against BASE_URL.
//
// Usage: KUKURUKU_SECRET_KEY=... node axios_payins.js BASE_URL COUNT CONCURRENCY PREFIX
// Prints one JSON line: {"count","errors","seconds","per_second"}.
const axios = require('axios');
const sha512 = require('js-sha512').sha512;

const SECRET_KEY = process.env.KUKURUKU_SECRET_KEY;
const [baseUrl, count, concurrency, prefix] = process.argv.slice(2);

async function createPayin(n) {
  const data = {
    merchant_id: "1",
    amount: 50000,
    currency: "RUB",
    callback_url: "http://127.0.0.1:9/callback",
    order_number: `${prefix}-${n}`,
    redirect_success_url: "https://your-site.com/success",
    redirect_fail_url: "https://your-site.com/fail",
    customer: {
      client_id: "user@example.com"
    }
  };
  const signature = sha512.hmac(SECRET_KEY, JSON.stringify(data));
  await axios({
    method: 'POST',
    url: baseUrl + '/api/v1/orders/payins',
    data,
    headers: {
      'Content-Type': 'application/json',
      signature
    }
  });
}

async function main() {
  let next = 0;
  let errors = 0;
  const total = Number(count);
  const started = process.hrtime.bigint();
  async function worker() {
    while (next < total) {
      const n = next++;
      try {
        await createPayin(n);
      } catch (err) {
        errors++;
      }
    }
  }
  await Promise.all(Array.from({ length: Number(concurrency) }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(JSON.stringify({ count: total, errors, seconds, per_second: total / seconds }));
}

main();
