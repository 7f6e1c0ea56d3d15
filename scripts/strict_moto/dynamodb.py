"""DynamoDB: conditional writes evaluated and applied atomically."""

from __future__ import annotations

import threading



# ---------------------------------------------------------------------------------------
# DynamoDB
# ---------------------------------------------------------------------------------------


def atomic_dynamodb_writes() -> None:
    """DynamoDB evaluates a write's condition and applies it atomically (DynamoDB Developer
    Guide, "Condition expressions"). moto's threaded server does not: two conditional writes to
    one item can both pass. One lock around moto's item writes restores the guarantee."""
    from moto.dynamodb.models import DynamoDBBackend

    lock = threading.Lock()

    def locked(method):
        def wrapper(*args, **kwargs):
            with lock:
                return method(*args, **kwargs)

        return wrapper

    for name in ("put_item", "update_item", "delete_item", "get_item", "transact_write_items"):
        setattr(DynamoDBBackend, name, locked(getattr(DynamoDBBackend, name)))
