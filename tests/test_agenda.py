"""The agenda rules of DESIGN §6 on hand-made status rows, without an app or a warehouse:
the order of the sections, severity and the doubling for mayoral priorities, follow-ups
overdue first, wins since the last meeting, and time boxes that add up to the meeting."""
from __future__ import annotations

import random
from datetime import date

import pytest

from metrics.agenda import (MIN_MINUTES, PRIORITY_FACTOR, VALUE_FIELDS, WEIGHTS, allocate_minutes, draft,
                            priority_goals, severity)

MEETING_DAY = date(2026, 11, 19)
SINCE = date(2026, 10, 15)


def kpi(kpi_id: str, status: str, *, value=None, target=100.0, low=None, high=None, direction="up",
        trend="flat", stale=False, previous=None, goal="clean-streets", name=None, next_due=None) -> dict:
    """A status row as metrics.status.kpi_statuses gives it, with only what the agenda reads."""
    return {"id": kpi_id, "name": name or kpi_id.replace("-", " ").title(), "status": status, "trend": trend,
            "stale": stale, "direction": direction, "compared_value": value, "compared_target": target,
            "compared_low": low, "compared_high": high, "goal_id": goal, "previous_status": previous,
            "next_due": next_due, "department_id": "public-works", "unit": "count", "decimals": 0,
            "frequency": "monthly", "latest_period_start": date(2026, 10, 1), "latest_value": value}


def action(action_id: int, due: date | None, description: str | None = None) -> dict:
    return {"id": action_id, "description": description or f"Commitment {action_id}", "owner_name": "Dana Cruz",
            "due_date": due, "department_id": "public-works", "meeting_id": 7, "kpi_ids": ["potholes-repaired"]}


def agenda(statuses, follow_ups=(), *, minutes=120, priorities=frozenset()):
    return draft(list(statuses), list(follow_ups), meeting_day=MEETING_DAY, duration_minutes=minutes,
                 priorities=set(priorities), as_of=MEETING_DAY, since=SINCE)


def ids(result) -> list:
    return [item.kpi_id if item.kind != "follow_up" else item.action_item_id for item in result.items]


# -- the order of the sections ----------------------------------------------------------------------
def test_sections_come_in_the_order_of_the_design():
    rows = [
        kpi("graffiti", "on_track", value=100, previous="off_track"),                  # win
        kpi("fleet", "no_target", target=None, stale=True),                             # stale
        kpi("streetlights", "at_risk", value=95, trend="worsening"),                    # worsening
        kpi("potholes", "off_track", value=50),                                         # off track
        kpi("steady", "at_risk", value=95, trend="flat"),                               # nothing to discuss
        kpi("rising", "at_risk", value=95, trend="improving"),                          # nothing to discuss
        kpi("fine", "on_track", value=120, previous="on_track"),                        # on track both times
    ]
    result = agenda(rows, [action(3, date(2026, 12, 1))])
    assert [item.kind for item in result.items] == ["follow_up", "off_track", "worsening", "stale", "win"]
    assert ids(result) == [3, "potholes", "streetlights", "fleet", "graffiti"]
    assert result.omitted == {} and result.as_of == MEETING_DAY and result.since == SINCE


def test_an_empty_draft_is_an_empty_agenda():
    result = agenda([kpi("fine", "on_track", value=120, previous="on_track")])
    assert result.items == [] and result.omitted == {}


def test_each_kpi_appears_once_under_the_first_heading_it_fits():
    rows = [kpi("potholes", "off_track", value=50, stale=True, previous="off_track"),
            kpi("streetlights", "at_risk", value=95, trend="worsening", stale=True),
            kpi("graffiti", "on_track", value=100, stale=True, previous="at_risk")]
    result = agenda(rows)
    assert [(item.kind, item.kpi_id) for item in result.items] == [
        ("off_track", "potholes"), ("worsening", "streetlights"), ("stale", "graffiti")]
    assert len({item.kpi_id for item in result.items}) == len(result.items)


# -- severity -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("row, expected", [
    (kpi("up", "off_track", value=50, target=100), 0.5),
    (kpi("down", "off_track", value=15, target=10, direction="down"), 0.5),
    (kpi("band-high", "off_track", value=25, low=10, high=20, direction="band", target=None), 0.25),
    (kpi("band-low", "off_track", value=5, low=10, high=20, direction="band", target=None), 0.5),
    (kpi("band-inside", "on_track", value=15, low=10, high=20, direction="band", target=None), 0.0),
    (kpi("zero-target", "off_track", value=3, target=0, direction="down"), 3.0),
    (kpi("negative-target", "off_track", value=-15, target=-10, direction="up"), 0.5),
    (kpi("no-value", "no_data", value=None), None),
    (kpi("no-target", "no_target", value=40, target=None), None),
    (kpi("band-without-bounds", "no_target", value=40, target=None, direction="band"), None),
])
def test_severity_is_the_gap_relative_to_the_target(row, expected):
    assert severity(row) == (pytest.approx(expected) if expected is not None else None)


def test_off_track_kpis_are_ranked_worst_first():
    rows = [kpi("a-small-gap", "off_track", value=90),            # 0.10
            kpi("b-large-gap", "off_track", value=40),            # 0.60
            kpi("c-middle-gap", "off_track", value=70),           # 0.30
            kpi("d-down", "off_track", value=14, target=10, direction="down")]   # 0.40
    result = agenda(rows)
    assert ids(result) == ["b-large-gap", "d-down", "c-middle-gap", "a-small-gap"]
    assert [round(item.severity, 2) for item in result.items] == [0.6, 0.4, 0.3, 0.1]


def test_a_band_kpi_ranks_by_its_nearest_bound():
    # 8 against a band of 10-100 is 20 % under its low bound, not 92 % under its high one.
    rows = [kpi("band", "off_track", value=8, low=10, high=100, direction="band", target=None),
            kpi("up", "off_track", value=50, target=100),        # 0.5
            kpi("over-band", "off_track", value=150, low=10, high=100, direction="band", target=None)]   # 0.5
    result = agenda(rows)
    assert [item.kpi_id for item in result.items] == ["over-band", "up", "band"]
    assert result.items[-1].severity == pytest.approx(0.2)


def test_equal_gaps_are_listed_by_name():
    rows = [kpi("z", "off_track", value=50, name="Zoning permits"), kpi("a", "off_track", value=50, name="Alleys")]
    assert ids(agenda(rows)) == ["a", "z"]


def test_worsening_at_risk_kpis_are_ranked_by_severity_too():
    rows = [kpi("slight", "at_risk", value=98, trend="worsening"), kpi("more", "at_risk", value=92, trend="worsening")]
    result = agenda(rows)
    assert [item.kind for item in result.items] == ["worsening", "worsening"]
    assert ids(result) == ["more", "slight"]


# -- mayoral priorities ---------------------------------------------------------------------------------
def test_the_gap_counts_double_on_a_mayoral_priority():
    rows = [kpi("a-ordinary", "off_track", value=50, goal="clean-streets"),       # 0.5
            kpi("b-priority", "off_track", value=75, goal="safe-streets")]        # 0.25, doubled to 0.5
    result = agenda(rows, priorities={"safe-streets"})
    by_id = {item.kpi_id: item for item in result.items}
    assert PRIORITY_FACTOR == 2
    assert by_id["b-priority"].severity == pytest.approx(by_id["a-ordinary"].severity)
    assert by_id["b-priority"].priority and not by_id["a-ordinary"].priority
    # A priority KPI with a little more than half the gap ranks above.
    rows[1] = kpi("b-priority", "off_track", value=74, goal="safe-streets")
    assert ids(agenda(rows, priorities={"safe-streets"})) == ["b-priority", "a-ordinary"]
    # Without the priority it would come second.
    assert ids(agenda(rows)) == ["a-ordinary", "b-priority"]


def test_priority_goals_walk_up_the_parent_goals():
    goals = [{"id": "safe-city", "parent_id": None, "mayoral_priority": True},
             {"id": "safe-streets", "parent_id": "safe-city", "mayoral_priority": False},
             {"id": "crosswalks", "parent_id": "safe-streets", "mayoral_priority": False},
             {"id": "operations", "parent_id": None, "mayoral_priority": False},
             {"id": "fleet", "parent_id": "operations", "mayoral_priority": False},
             {"id": "loop-a", "parent_id": "loop-b", "mayoral_priority": False},   # bad data: a cycle
             {"id": "loop-b", "parent_id": "loop-a", "mayoral_priority": False},
             {"id": "orphan", "parent_id": "gone", "mayoral_priority": False}]
    assert priority_goals(goals) == {"safe-city", "safe-streets", "crosswalks"}
    assert priority_goals([]) == set()


def test_a_kpi_under_a_nested_priority_goal_is_doubled():
    goals = [{"id": "safe-city", "parent_id": None, "mayoral_priority": True},
             {"id": "crosswalks", "parent_id": "safe-city"}]
    rows = [kpi("a-ordinary", "off_track", value=50, goal="operations"),
            kpi("b-nested", "off_track", value=70, goal="crosswalks")]              # 0.3, doubled to 0.6
    assert ids(agenda(rows, priorities=priority_goals(goals))) == ["b-nested", "a-ordinary"]


# -- follow-ups -----------------------------------------------------------------------------------------
def test_follow_ups_come_overdue_first_then_by_due_date():
    follow_ups = [action(1, date(2026, 12, 20)), action(2, None), action(3, date(2026, 11, 1)),
                  action(4, MEETING_DAY),                # due on the day: not overdue yet
                  action(5, date(2026, 10, 1)), action(6, date(2026, 12, 1))]
    result = agenda([kpi("potholes", "off_track", value=50)], follow_ups)
    assert ids(result) == [5, 3, 4, 6, 1, 2, "potholes"]
    assert [item.overdue for item in result.items[:6]] == [True, True, False, False, False, False]
    first, due_today = result.items[0], result.items[2]
    assert first.questions[0] == ("agenda.q.follow_up_overdue", {"due": date(2026, 10, 1)})
    assert due_today.questions[0][0] == "agenda.q.follow_up_done"
    assert first.title == "Commitment 5" and first.kpi_id == "potholes-repaired"
    assert first.values["owner"] == "Dana Cruz" and first.values["due_date"] == date(2026, 10, 1)


def test_follow_ups_without_a_kpi_have_none():
    item = agenda([], [{**action(1, None), "kpi_ids": []}]).items[0]
    assert item.kpi_id is None and item.values["kpi_ids"] == []


# -- wins -----------------------------------------------------------------------------------------------
def test_wins_are_kpis_that_reached_on_track_since_the_last_meeting():
    rows = [kpi("from-off", "on_track", value=100, previous="off_track"),
            kpi("from-risk", "on_track", value=105, previous="at_risk"),
            kpi("always-fine", "on_track", value=120, previous="on_track"),
            kpi("new-kpi", "on_track", value=120, previous=None),
            kpi("no-target-then", "on_track", value=120, previous="no_target"),
            kpi("slipped", "at_risk", value=95, previous="on_track"),
            kpi("improved-not-there", "at_risk", value=95, previous="off_track")]
    result = agenda(rows)
    assert [(item.kind, item.kpi_id) for item in result.items] == [("win", "from-off"), ("win", "from-risk")]
    assert result.items[0].questions == [("agenda.q.win_what", {}), ("agenda.q.win_spread", {})]


# -- what each item carries -----------------------------------------------------------------------------
def test_items_carry_the_values_shown_and_their_questions():
    row = kpi("fleet", "at_risk", value=95, stale=True, next_due=date(2026, 11, 15))
    item = agenda([row]).items[0]
    assert item.kind == "stale" and item.kpi_name == "Fleet"
    assert set(item.values) == set(VALUE_FIELDS)
    assert item.values["compared_value"] == 95 and item.values["status"] == "at_risk"
    assert item.questions[0] == ("agenda.q.stale_when", {"due": date(2026, 11, 15)})


# -- time boxes -----------------------------------------------------------------------------------------
def test_time_boxes_add_up_to_the_meeting_for_any_length_and_number_of_items():
    rng = random.Random(6)
    kinds = ("off_track", "worsening", "stale", "win")
    for minutes in list(range(15, 121)) + [150, 180, 240, 479, 480]:
        for count in (0, 1, 2, 3, 7, 13, 30, 60, 250):
            statuses = []
            for n in range(count):
                kind = rng.choice(kinds)
                row = {"off_track": kpi(f"k{n}", "off_track", value=rng.uniform(1, 99)),
                       "worsening": kpi(f"k{n}", "at_risk", value=rng.uniform(91, 99), trend="worsening"),
                       "stale": kpi(f"k{n}", "no_target", target=None, stale=True),
                       "win": kpi(f"k{n}", "on_track", value=100, previous="off_track")}[kind]
                statuses.append(row)
            follow_ups = [action(n, date(2026, 10, rng.randint(1, 31))) for n in range(rng.randint(0, 5))]
            result = agenda(statuses, follow_ups, minutes=minutes)
            wanted = count + len(follow_ups)
            capacity = minutes // MIN_MINUTES
            label = f"{minutes} minutes, {wanted} items"
            assert len(result.items) == min(wanted, capacity), label
            assert sum(result.omitted.values()) == max(wanted - capacity, 0), label
            assert all(item.minutes >= MIN_MINUTES for item in result.items), label
            if result.items:
                assert sum(item.minutes for item in result.items) == minutes, label


def test_the_lowest_ranked_items_are_left_off_and_counted():
    rows = [kpi("win-1", "on_track", value=100, previous="off_track"),
            kpi("win-2", "on_track", value=100, previous="at_risk"),
            kpi("stale", "no_target", target=None, stale=True),
            kpi("worst", "off_track", value=10), kpi("bad", "off_track", value=60)]
    result = agenda(rows, [action(1, date(2026, 11, 1))], minutes=7)    # room for three items
    assert ids(result) == [1, "worst", "bad"]
    assert result.omitted == {"stale": 1, "win": 2}
    assert sum(item.minutes for item in result.items) == 7


def test_a_problem_gets_more_time_than_a_win():
    rows = [kpi("bad", "off_track", value=60), kpi("good", "on_track", value=100, previous="off_track")]
    bad, good = agenda(rows, minutes=60).items
    assert WEIGHTS["off_track"] > WEIGHTS["win"] and bad.minutes > good.minutes


def test_allocate_minutes_shares_by_weight_and_adds_up_exactly():
    assert allocate_minutes([], 60) == []
    assert allocate_minutes([1.0], 60) == [60]
    assert allocate_minutes([1.0, 1.0, 1.0], 10) == [4, 3, 3]
    assert allocate_minutes([2.0, 1.0], 32) == [21, 11]   # 2 each, then 28 shared 2:1
    assert allocate_minutes([0.0, 0.0], 9) == [5, 4]       # no weights: shared evenly
    rng = random.Random(60)
    for _ in range(500):
        weights = [rng.choice(list(WEIGHTS.values())) for _ in range(rng.randint(1, 40))]
        total = rng.randint(len(weights) * MIN_MINUTES, 480)
        shares = allocate_minutes(weights, total)
        assert sum(shares) == total and min(shares) >= MIN_MINUTES
        heavier = [(a, b) for a in range(len(weights)) for b in range(len(weights)) if weights[a] > weights[b]]
        assert all(shares[a] >= shares[b] for a, b in heavier)
    with pytest.raises(ValueError):
        allocate_minutes([1.0] * 8, 15)
