"""One run at a time (the lock now lives in :mod:`ruralaction.locks`, below every stage, so the
data store can hold it too); kept here for the ops code and its callers."""

from ruralaction.locks import Busy, RunLock

__all__ = ["Busy", "RunLock"]
