"""Team mode: the local store published to Apache Iceberg tables, and a read-only store over them.

`publish.py` writes (one commit per changed table, then the publish log), `log.py` says which
snapshots form one publish, `read.py` serves the store's SQL from one publish, `catalog.py` says
where the lake lives.
"""
