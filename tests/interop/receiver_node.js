// The providers' Node recipe for a callback endpoint (seed 002), verbatim: Express with
// express.json(), and js-sha512 over JSON.stringify(req.body), i.e. over a re-serialisation of
// the parsed body, not over the bytes received. It accepts what Kukuruku's compact JSON
// re-serialises to byte for byte, and refuses the same order sent with '\/' (PHP), '\u00e9' or
// spaces: `kukuruku callback check` must fail it for exactly that reason.
//
// Usage: KUKURUKU_SECRET_KEY=... node receiver_node.js [PORT]
// Listens on 127.0.0.1 (PORT 0 or none: any free port) and prints one line when ready:
//     listening on http://127.0.0.1:PORT/callback
const express = require('express');
const sha512 = require('js-sha512').sha512;

const SECRET_KEY = process.env.KUKURUKU_SECRET_KEY;
const app = express();
app.use(express.json());

function verifySignature(body, signatureHeader, secretKey) {
  const expected = sha512.hmac(secretKey, JSON.stringify(body));
  return expected === signatureHeader;
}

// In your callback handler:
app.post('/callback', (req, res) => {
  if (!verifySignature(req.body, req.headers.signature, SECRET_KEY)) {
    return res.status(401).json({ success: false, err: 'Invalid signature' });
  }
  // Process the callback...
  res.json({ success: true });
});

const server = app.listen(Number(process.argv[2] || 0), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}/callback`);
});
