"""Lightning over Nostr Wallet Connect: URIs, invoices, the NWC client, the ledger and the service."""
