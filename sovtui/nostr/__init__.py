"""Nostr plumbing: NIP-44 encryption, events and an asyncio relay client."""
