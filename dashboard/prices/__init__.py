"""Prices: the Yahoo adapter (the only network code), interval policy, vendor import, the
seeded synthetic sample, and the refresh of event windows."""
