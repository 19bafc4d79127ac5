"""Parsers: pure functions from bytes (+ URL / metadata) to the shared report schema.

They never touch the network or the database.
"""
