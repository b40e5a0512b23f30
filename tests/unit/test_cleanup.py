"""The shared server's disk stays bounded: old sessions and served copies go, paid jobs are settled first."""

import os
import time

from music01_core.cleanup import sweep, ttl_days_from_env
from music01_core.history import History, PendingJob

DAY = 86400.0


def _session(root, name, *, age_days, now, pending=None):
    folder = root / "sessions" / name
    (folder / "history" / "x").mkdir(parents=True)
    (folder / "history" / "x" / "music01-x.mp3").write_bytes(b"\0" * 1000)
    if pending:
        History(folder).add_pending(
            PendingJob(
                generation_id=pending,
                model="minimax/music-2.6",
                created=now,
                base_url="https://api.aimlapi.com",
                key_fp="k",
            )
        )
    t = now - age_days * DAY
    for dirpath, dirs, files in os.walk(folder):
        for n in files + dirs:
            os.utime(os.path.join(dirpath, n), (t, t))
    os.utime(folder, (t, t))
    return folder


def test_old_sessions_and_served_copies_go_fresh_ones_stay(tmp_path):
    now = time.time() + 30 * DAY  # a fake clock a month ahead
    old = _session(tmp_path, "old", age_days=8, now=now)
    fresh = _session(tmp_path, "fresh", age_days=2, now=now)
    served = tmp_path / "served"
    for name, age in (("a1", 9), ("b2", 1)):
        (served / name).mkdir(parents=True)
        f = served / name / "music01.mp3"
        f.write_bytes(b"x")
        for p in (f, served / name):
            os.utime(p, (now - age * DAY,) * 2)
    r = sweep(tmp_path, ttl_days=7, served_dir=served, now=now)
    assert not old.exists() and fresh.exists()
    assert not (served / "a1").exists() and (served / "b2").exists()
    assert (r.sessions_removed, r.served_removed) == (1, 1) and r.bytes_freed >= 1001


def test_a_pending_job_is_resolved_or_expired_before_its_session_goes(tmp_path):
    now = time.time() + 30 * DAY
    a = _session(tmp_path, "a", age_days=10, now=now, pending="gid-a:music-2.6")
    b = _session(tmp_path, "b", age_days=10, now=now, pending="gid-b:music-2.6")
    seen = []

    def resolve(home, job):
        seen.append(job.generation_id)
        return job.generation_id.startswith("gid-a")

    r = sweep(tmp_path, ttl_days=7, resolve=resolve, now=now)
    assert sorted(seen) == ["gid-a:music-2.6", "gid-b:music-2.6"]
    assert a.exists() and b.exists(), "a session with a job just settled is kept one more period"
    assert (r.jobs_resolved, r.jobs_expired, r.sessions_removed) == (1, 1, 0)
    job = History(b).get_pending("gid-b:music-2.6")
    assert job.state == "expired" and "expired by the cleanup" in job.error
    # A later sweep, once that period is over too: both go, and nothing is asked again.
    later = time.time() + 60 * DAY
    r2 = sweep(tmp_path, ttl_days=7, resolve=resolve, now=later)
    assert r2.sessions_removed == 1 and not b.exists()  # a's job was not really saved by the fake: still pending
    assert seen.count("gid-b:music-2.6") == 1


def test_ttl_from_the_environment(monkeypatch):
    monkeypatch.setenv("MUSIC01_SESSION_TTL_DAYS", "2.5")
    assert ttl_days_from_env() == 2.5
    monkeypatch.setenv("MUSIC01_SESSION_TTL_DAYS", "soon")
    assert ttl_days_from_env() == 7.0
    monkeypatch.delenv("MUSIC01_SESSION_TTL_DAYS")
    assert ttl_days_from_env() == 7.0
