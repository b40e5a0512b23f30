"""The asynchronous job path (deprecated module: its parts moved).

- the HTTP calls of the AI/ML API's job interface, the submit body and the audio check:
  :mod:`music01_core.providers.aimlapi`;
- the poll loop and its waits: :mod:`music01_core.client`;
- the status record: :mod:`music01_core.types`.

The names stay importable from here for one release.
"""

from __future__ import annotations

from .client import poll_delays
from .providers.aimlapi import JobClient, job_payload
from .types import PENDING_STATUSES, JobStatus

__all__ = ["JobStatus", "JobClient", "job_payload", "poll_delays", "PENDING_STATUSES"]
