<?php
// A merchant's callback endpoint written from the providers' PHP recipe (seed 002):
// php://input (the raw request bytes), hash_hmac('sha512', ...), hash_equals.
//
// It is what `kukuruku callback check` should pass: verify the signature over the bytes received
// (before parsing them), refuse a body over 64 KiB by its Content-Length, refuse a missing or
// wrong signature with 401 (PHP's built-in server joins two `signature` headers into one value,
// which then does not match), acknowledge a repeat and a stale status, apply a status only when
// it moves the order forward (PROTOCOL 1.4, D8), refuse a status it does not know.
//
// Usage, with PHP's built-in server (this file is its router: every request comes here):
//   KUKURUKU_SECRET_KEY=... php -S 127.0.0.1:8000 receiver_php.php
// Each order's status is kept in a JSON file (KUKURUKU_RECEIVER_STATE, default: a file in the
// temporary directory), as a real shop keeps it in its database.

function verifySignature(string $body, string $signatureHeader, string $secretKey): bool {
    // The providers' recipe, verbatim.
    $expected = hash_hmac('sha512', $body, $secretKey);
    return hash_equals($expected, $signatureHeader);
}

function answer(int $status, array $payload): void {
    http_response_code($status);
    header('Content-Type: application/json');
    echo json_encode($payload);
}

const LIMIT = 65536; // a callback is a few hundred bytes
const KNOWN = ['created', 'processing', 'paid', 'cancelled', 'expired', 'failed'];
// PROTOCOL 1.4: the moves an order may make.
const FORWARD = [
    'created' => ['processing', 'paid', 'cancelled', 'expired', 'failed'],
    'processing' => ['paid', 'failed', 'cancelled'],
];

$secretKey = getenv('KUKURUKU_SECRET_KEY');
if ($secretKey === false || $secretKey === '') {
    answer(500, ['success' => false, 'err' => 'KUKURUKU_SECRET_KEY is not set']);
    return;
}
if ($_SERVER['REQUEST_METHOD'] !== 'POST') {
    header('Allow: POST');
    answer(405, ['success' => false, 'err' => 'Method not allowed']);
    return;
}
if (parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH) !== '/callback') {
    answer(404, ['success' => false, 'err' => 'Not found']);
    return;
}
if ((int)($_SERVER['CONTENT_LENGTH'] ?? 0) > LIMIT) {
    answer(413, ['success' => false, 'err' => 'Body too large']);
    return;
}

$body = file_get_contents('php://input'); // the raw bytes, exactly as received
$signature = trim($_SERVER['HTTP_SIGNATURE'] ?? '');
if (!verifySignature($body, $signature, $secretKey)) {
    answer(401, ['success' => false, 'err' => 'Invalid signature']);
    return;
}

$order = json_decode($body, true);
$orderId = null;
foreach (['uuid', 'token', 'order_id', 'id'] as $name) {
    if (is_array($order) && isset($order[$name])) {
        $orderId = (string)$order[$name];
        break;
    }
}
if ($orderId === null || !is_string($order['status'] ?? null)) {
    answer(400, ['success' => false, 'err' => 'Not an order']);
    return;
}
$status = strtolower($order['status']);
if (!in_array($status, KNOWN, true)) {
    answer(422, ['success' => false, 'err' => 'Unknown status']);
    return;
}

$stateFile = getenv('KUKURUKU_RECEIVER_STATE') ?: sys_get_temp_dir() . '/kukuruku-receiver-php.json';
$handle = fopen($stateFile, 'c+');
if ($handle === false || !flock($handle, LOCK_EX)) {
    answer(500, ['success' => false, 'err' => 'Not recorded']);
    return;
}
$orders = json_decode(stream_get_contents($handle) ?: '{}', true) ?: [];
$current = $orders[$orderId] ?? null;
if ($current === null || in_array($status, FORWARD[$current] ?? [], true)) {
    $orders[$orderId] = $status;
    ftruncate($handle, 0);
    rewind($handle);
    fwrite($handle, json_encode($orders));
    fflush($handle);
}
// Otherwise a repeat or a stale status: nothing to apply, and still a success.
flock($handle, LOCK_UN);
fclose($handle);
answer(200, ['success' => true]);
