"""The load test's own arithmetic (bench/load_steps.py, bench/load_world.py): the knee it
reports and how residents are spread over accounts."""

import pytest

from bench.load_steps import knee, percentile, step_figures
from bench.load_world import FAMILY_EVERY, accounts_needed, resident_accounts


def test_percentile_is_the_nearest_rank():
    times = [float(n) for n in range(1, 101)]
    assert percentile(times, 0.95) == 95.0
    assert percentile(times, 0.50) == 50.0
    assert percentile([7.0], 0.99) == 7.0
    assert percentile([], 0.95) == 0.0


def test_a_steps_figures_count_its_requests_per_second_and_failures():
    samples = [(100.0, False)] * 18 + [(900.0, True)] * 2
    figures = step_figures(40, 10, samples)
    assert figures["requests"] == 20
    assert figures["rps"] == 2.0
    assert figures["p50"] == 100.0
    assert figures["p95"] == 900.0
    assert figures["errors"] == 2


def step(users, p95):
    return {"users": users, "rps": users / 3, "p95": p95}


def test_the_knee_is_the_first_step_above_the_limit_and_the_one_before():
    steps = [step(20, 80), step(40, 150), step(60, 310), step(80, 250)]
    assert knee(steps, 300) == (steps[1], steps[2])


def test_no_knee_when_every_step_stays_within_the_limit():
    steps = [step(20, 80), step(40, 300)]
    assert knee(steps, 300) == (steps[1], None)


def test_the_knee_at_the_first_step_has_nothing_below():
    steps = [step(20, 450)]
    assert knee(steps, 300) == (None, steps[0])


@pytest.mark.parametrize("users", [1, 19, 20, 100, 1000])
def test_residents_get_an_account_each_but_one_in_twenty_shares_the_previous(users):
    accounts = list(range(1000, 1000 + accounts_needed(users)))
    chosen = resident_accounts(users, accounts)
    assert len(chosen) == users
    assert set(chosen) == set(accounts)  # every account built has its resident
    shared = [n for n in range(1, users) if chosen[n] == chosen[n - 1]]
    assert shared == [n for n in range(users) if n % FAMILY_EVERY == FAMILY_EVERY - 1]
