"""zzcorpus: Chinese newspaper page dumps in, one searchable SQLite corpus out."""

__version__ = "0.1.0"
