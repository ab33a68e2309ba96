// The providers' Node recipe for a signed callback, verbatim:
//   require('js-sha512').sha512.hmac(SECRET_KEY, JSON.stringify(data))
// Usage: node sign_callback.js SECRET_KEY '<json data>'
// Prints two lines: the body (JSON.stringify(data)) and its signature.
const { sha512 } = require('js-sha512');
const SECRET_KEY = process.argv[2];
const data = JSON.parse(process.argv[3]);
const body = JSON.stringify(data);
process.stdout.write(body + '\n' + sha512.hmac(SECRET_KEY, body) + '\n');
