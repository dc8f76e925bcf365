"""Security primitives: secret hashing, personal-data encryption, key material, signed tokens."""
