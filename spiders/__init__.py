"""Spiders: one generic portal spider driven by profiles, with list adapters per CMS family."""
