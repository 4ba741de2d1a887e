"""Prices: the Yahoo price adapter (network code, as are ``news.yahoo`` and the lake), interval policy, vendor import, the
seeded synthetic sample, and the refresh of event windows."""
