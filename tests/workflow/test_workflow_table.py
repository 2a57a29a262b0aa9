"""The transition tables are the SPEC's diagrams (§3, §4), edge for edge; codes as in §9."""

from applications.workflow import TERMINAL, TRANSITIONS, State
from awards.workflow import AWARD_TRANSITIONS, AwardState
from awards.workflow import TERMINAL as AWARD_TERMINAL

SPEC_APPLICATION_STATES = [
    "draft",
    "submitted",
    "district_review",
    "returned",
    "district_rejected",
    "district_approved",
    "city_review",
    "approved",
    "city_rejected",
    "withdrawn",
    "expired",
]
SPEC_AWARD_STATES = ["claimable", "claimed", "paid", "forfeited", "recovering", "recovered", "cancelled"]

# SPEC §3 diagram: (from, to) edges.
SPEC_APPLICATION_EDGES = {
    ("draft", "submitted"),
    ("submitted", "district_review"),
    ("district_review", "returned"),
    ("returned", "submitted"),
    ("submitted", "withdrawn"),
    ("district_review", "district_rejected"),
    ("district_review", "district_approved"),
    ("draft", "expired"),
    ("district_approved", "city_review"),
    ("city_review", "approved"),
    ("city_review", "city_rejected"),
    ("city_review", "district_review"),
    ("returned", "expired"),
}
# The one documented addition: 即申即享 items approved by the system on submission (R50).
EXTENSIONS = {("submitted", "approved")}

SPEC_AWARD_EDGES = {
    ("claimable", "claimed"),
    ("claimable", "forfeited"),
    ("claimed", "paid"),
    ("paid", "recovering"),
    ("recovering", "recovered"),
    ("claimable", "cancelled"),
    ("claimed", "cancelled"),
}


def test_state_codes_and_labels():
    assert list(State.values) == SPEC_APPLICATION_STATES
    assert list(AwardState.values) == SPEC_AWARD_STATES
    assert (
        State("district_review").label == "属地审核中" and AwardState("forfeited").label == "逾期未申领，视为自动放弃"
    )


def test_application_edges_are_the_spec_diagram():
    edges = {(source, t.target) for t in TRANSITIONS.values() for source in t.sources}
    assert edges == SPEC_APPLICATION_EDGES | EXTENSIONS


def test_award_edges_are_the_spec_diagram():
    edges = {(source, t.target) for t in AWARD_TRANSITIONS.values() for source in t.sources}
    assert edges == SPEC_AWARD_EDGES


def test_terminal_states_have_no_way_out():
    for t in TRANSITIONS.values():
        assert not (t.sources & TERMINAL), t.action
    for t in AWARD_TRANSITIONS.values():
        assert not (t.sources & AWARD_TERMINAL), t.action
    assert {s.value for s in TERMINAL} == {"district_rejected", "city_rejected", "withdrawn", "expired"}


def test_reasons_required_where_the_spec_asks():
    needs = {a for a, t in TRANSITIONS.items() if t.needs_reason}
    assert needs == {"return", "reject", "city_reject", "city_return"}
    assert {a for a, t in AWARD_TRANSITIONS.items() if t.needs_reason} == {"recover", "cancel"}


def test_roles_per_step():
    roles = {a: t.role for a, t in TRANSITIONS.items()}
    assert roles["submit"] == roles["withdraw"] == roles["resubmit"] == "enterprise"
    assert {roles[a] for a in ("accept", "return", "reject", "approve", "submit_to_city")} == {"district_reviewer"}
    assert {roles[a] for a in ("city_approve", "city_reject", "city_return")} == {"city_approver"}
    assert roles["expire"] == roles["instant_approve"] == "system"
