"""The archive (content-addressed blobs) and the relational store (SQLAlchemy 2 + Alembic)."""
