"""Idempotency keys for unsafe API calls (RELIABILITY R8): `Idempotency-Key` header, stored with
a hash of the request body and the response, replayed byte for byte."""
