"""Nostr identities: keys and their encodings (NIP-19), password-encrypted keys (NIP-49)."""
