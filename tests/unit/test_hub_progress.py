"""Progress numbers (rate, time left, throttling) and the record of where downloaded files came from."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from samantha.hub.download import DownloadProgress, ProgressReporter, RateMeter
from samantha.hub.errors import human_size
from samantha.hub.records import DownloadRecord, DownloadRecords


class Clock:
    """A hand-driven clock, so rates are exact and no test depends on real time."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_rate_meter_uses_a_sliding_window() -> None:
    meter = RateMeter(window=5.0)
    assert meter.add(0.0, 0) == 0.0
    assert meter.add(1.0, 1000) == 1000.0
    assert meter.add(2.0, 2000) == 1000.0
    for second in range(3, 11):
        meter.add(float(second), 2000)  # stalled from t=2 on
    assert meter.add(11.0, 2000) == 0.0


def test_reporter_throttles_and_always_sends_the_end() -> None:
    clock = Clock()
    seen: list[DownloadProgress] = []
    report = ProgressReporter(seen.append, "m.gguf", clock=clock)
    report(0, 10_000)
    clock.now += 0.01
    report(100, 10_000)  # too soon: held back
    assert [p.done for p in seen] == [0]
    clock.now += 1.0
    report(2_000, 10_000)
    assert seen[-1].done == 2_000
    assert seen[-1].rate == pytest.approx(2_000 / 1.01)
    assert seen[-1].seconds_left == pytest.approx((10_000 - 2_000) / seen[-1].rate)
    assert seen[-1].fraction == 0.2
    clock.now += 0.01
    report(10_000, 10_000)  # the last update is never held back
    assert seen[-1].done == 10_000 and seen[-1].seconds_left == 0.0
    assert all(p.filename == "m.gguf" for p in seen)


def test_tick_delivers_held_back_updates_and_shows_a_stall() -> None:
    clock = Clock()
    seen: list[DownloadProgress] = []
    report = ProgressReporter(seen.append, "m.gguf", clock=clock)
    report(0, 1_000_000)
    clock.now += 1.0
    report(50_000, 1_000_000)
    clock.now += 0.1
    report(60_000, 1_000_000)  # held back
    report.tick()
    assert seen[-1].done == 50_000
    clock.now += 0.3
    report.tick()  # nothing new arrived, but the held-back update goes out now
    assert seen[-1].done == 60_000
    for _ in range(8):
        clock.now += 1.0
        report.tick()  # no bytes: the rate falls
    assert seen[-1].done == 60_000
    assert seen[-1].rate < seen[1].rate


def test_reporter_without_callback_is_silent(capsys: pytest.CaptureFixture[str]) -> None:
    """The same calls that deliver updates to a callback deliver nothing, print nothing and raise nothing
    without one (the command line's downloads pass no callback when progress is not shown)."""
    calls = [(0, 10_000, 0.0), (4_000, 10_000, 1.0), (4_000, 10_000, 5.0), (10_000, 10_000, 0.01)]

    def drive(report: ProgressReporter, clock: Clock) -> None:
        for done, total, later in calls:
            clock.now += later
            report(done, total)
            report.tick()

    seen: list[DownloadProgress] = []
    with_callback = Clock()
    drive(ProgressReporter(seen.append, "m.gguf", clock=with_callback), with_callback)
    assert [p.done for p in seen] == [0, 4_000, 4_000, 10_000]  # these calls were all due
    without = Clock()
    silent = ProgressReporter(None, "m.gguf", clock=without)
    drive(silent, without)
    assert capsys.readouterr() == ("", "")
    assert silent.tick() is None and silent(10_000, 10_000) is None


def test_unknown_total() -> None:
    progress = DownloadProgress("m.gguf", 10, None, 0.0, None)
    assert progress.fraction is None


def test_human_sizes() -> None:
    assert human_size(512) == "512 B"
    assert human_size(1_500) == "1.5 kB"
    assert human_size(986_000_000) == "986.0 MB"
    assert human_size(12_300_000_000) == "12.3 GB"


def test_records_round_trip_and_survive_damage(tmp_path: Path) -> None:
    records = DownloadRecords(tmp_path)
    assert records.get("MODEL_FOR_TESTING.gguf") is None
    records.put("MODEL_FOR_TESTING.gguf", DownloadRecord("o/m@main:a.gguf", 10, "ab" * 32))
    records.put("b.gguf", DownloadRecord("o/m@main:b.gguf", 20))
    again = DownloadRecords(tmp_path)
    assert again.get("MODEL_FOR_TESTING.gguf") == DownloadRecord("o/m@main:a.gguf", 10, "ab" * 32)
    assert again.get("b.gguf") == DownloadRecord("o/m@main:b.gguf", 20, None)
    again.forget("b.gguf")
    assert records.get("b.gguf") is None
    assert set(json.loads((tmp_path / "downloads.json").read_text())) == {"MODEL_FOR_TESTING.gguf"}
    (tmp_path / "downloads.json").write_text("{not json")
    assert records.get("MODEL_FOR_TESTING.gguf") is None
    records.put("c.gguf", DownloadRecord("o/m@main:c.gguf", 1))
    assert records.get("c.gguf") == DownloadRecord("o/m@main:c.gguf", 1)
