"""Where the lake lives: a SQL catalog (SQLite or PostgreSQL) plus a warehouse (folder or S3).

`LakeLocation` is what `--catalog URI --warehouse URI [--namespace N] [--s3-endpoint URL]` (or
DASHBOARD_CATALOG / DASHBOARD_WAREHOUSE / DASHBOARD_NAMESPACE) name. Nothing here is specific to
one S3 implementation: AWS S3, MinIO and moto differ only in the endpoint.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_NAMESPACE = "dashboard"
CATALOG_NAME = "dashboard"


class LakeError(RuntimeError):
    """A lake problem a user can act on (bad URI, nothing published yet, lost race)."""


class LakeReadOnly(LakeError):
    """A write was attempted on a lake-backed store."""


READ_ONLY_MESSAGE = "the lake is read-only here: ingest into a local DuckDB file, then publish"


@dataclass(frozen=True)
class LakeLocation:
    catalog_uri: str
    warehouse: str
    namespace: str = DEFAULT_NAMESPACE
    s3_endpoint: str | None = None

    def __post_init__(self):
        if not self.catalog_uri.startswith(("sqlite://", "postgresql")):
            raise LakeError(f"--catalog {self.catalog_uri!r}: use sqlite:///PATH or "
                            "postgresql+psycopg://USER@HOST:PORT/DB")
        if not self.warehouse.startswith(("file://", "s3://", "s3a://")):
            raise LakeError(f"--warehouse {self.warehouse!r}: use file:///DIR or s3://BUCKET/PREFIX")

    @classmethod
    def from_env(cls) -> "LakeLocation | None":
        """DASHBOARD_CATALOG + DASHBOARD_WAREHOUSE, or None when the app serves a local file."""
        uri, warehouse = os.environ.get("DASHBOARD_CATALOG"), os.environ.get("DASHBOARD_WAREHOUSE")
        if not uri and not warehouse:
            return None
        if not (uri and warehouse):
            raise LakeError("set both DASHBOARD_CATALOG and DASHBOARD_WAREHOUSE (or neither)")
        return cls(uri, warehouse, os.environ.get("DASHBOARD_NAMESPACE") or DEFAULT_NAMESPACE)

    def describe(self) -> str:
        """Catalog and warehouse without credentials (a password in the URI is masked)."""
        uri = self.catalog_uri
        if "@" in uri and ":" in uri.split("@")[0].split("//", 1)[-1]:
            scheme, rest = uri.split("//", 1)
            user = rest.split("@")[0].split(":")[0]
            uri = f"{scheme}//{user}:***@{rest.split('@', 1)[1]}"
        return f"{uri} · {self.warehouse} · namespace {self.namespace}"

    def file_io_properties(self) -> dict[str, str]:
        """S3 settings from the usual AWS environment variables plus the endpoint override."""
        props: dict[str, str] = {}
        endpoint = (self.s3_endpoint or os.environ.get("AWS_ENDPOINT_URL_S3")
                    or os.environ.get("AWS_ENDPOINT_URL"))
        env = {"s3.access-key-id": "AWS_ACCESS_KEY_ID", "s3.secret-access-key": "AWS_SECRET_ACCESS_KEY",
               "s3.session-token": "AWS_SESSION_TOKEN"}
        for prop, name in env.items():
            if os.environ.get(name):
                props[prop] = os.environ[name]
        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        if region:
            props["s3.region"] = region
        if endpoint:
            props["s3.endpoint"] = endpoint
            # A custom endpoint (MinIO, moto) rarely serves virtual-host-style bucket names.
            props["s3.force-virtual-addressing"] = "false"
        return props


def open_catalog(location: LakeLocation):
    """The pyiceberg SqlCatalog for `location` (creates its bookkeeping tables on first use)."""
    from pyiceberg.catalog.sql import SqlCatalog
    from sqlalchemy.exc import SQLAlchemyError

    props = {"uri": location.catalog_uri, "warehouse": location.warehouse,
             **location.file_io_properties()}
    if location.catalog_uri.startswith("postgresql://"):
        props["uri"] = "postgresql+psycopg://" + location.catalog_uri[len("postgresql://"):]
    try:
        return SqlCatalog(CATALOG_NAME, **props)
    except SQLAlchemyError as exc:
        raise LakeError(f"catalog {location.describe()}: cannot connect ({exc.__class__.__name__}: "
                        f"{str(exc).splitlines()[0]})") from None
