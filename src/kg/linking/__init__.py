"""Linking: what sources write for a country or an SDG, resolved to the official vocabularies' URIs."""
