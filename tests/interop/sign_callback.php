<?php
// The providers' PHP recipe for a signed callback, verbatim:
//   hash_hmac('sha512', json_encode($data), $secretKey)
// with the default json_encode flags (which escape '/' as '\/').
// Usage: php sign_callback.php SECRET_KEY '<json data>'
// Prints two lines: the body (json_encode($data)) and its signature.
$secretKey = $argv[1];
$data = json_decode($argv[2], true);
$body = json_encode($data);
echo $body, "\n", hash_hmac('sha512', $body, $secretKey), "\n";
