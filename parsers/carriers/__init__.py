"""Carriers: bytes of one file format -> `parsers.document.Document`."""
