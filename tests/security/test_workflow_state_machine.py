"""R4 workflow property test: a hypothesis RuleBasedStateMachine drives random actors (every
demo role) and actions (every transition service, opinions, city lists, publication, claims,
payments, the deadline jobs with a clock moved ahead) and checks after every step that wrote:

- only legal edges: every history row is an edge of applications.workflow.TRANSITIONS (or
  awards.workflow.AWARD_TRANSITIONS), taken from the state the case was in, by the table's role;
- terminal states stay terminal;
- exactly one history row (and, on PostgreSQL, one audit row) per transition;
- an approved amount is never above the rule (applications.rules.assess(app).maximum);
- the district reviewer of a case is never its city approver; an award is paid at most once.

Budget: HYPOTHESIS_STATEFUL_EXAMPLES examples (default 50) × HYPOTHESIS_STATEFUL_STEPS steps
(default 30) in the main pytest run; scripts/ci.sh runs it again at R4's full target, 500 × 50,
in a step of its own.
"""

import os
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    precondition,
    rule,
    run_state_machine_as_test,
)

from accounts.models import Role
from applications import services as app_services
from applications.models import Application, ApplicationEvent
from applications.rules import assess
from applications.workflow import SYSTEM, TERMINAL, TRANSITIONS, State, actions_from
from awards import services as award_services
from awards.models import Award
from awards.workflow import AWARD_TRANSITIONS
from common.errors import DomainError
from reviews.services import city_list_create, city_list_submit, opinion_create

from .conftest import pdf
from .workflow_invariants import COVERAGE, WorkflowInvariants

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("HYPOTHESIS_STATEFUL_EXAMPLES", "50"))
STEPS = int(os.environ.get("HYPOTHESIS_STATEFUL_STEPS", "30"))
ENTERPRISE_USERS = ["ent_a", "ent_b", "ent_c"]
ALL_USERS = [
    "ent_a",
    "ent_b",
    "ent_c",
    "rev_shangcheng",
    "rev_xihu",
    "tax_shangcheng",
    "mkt_shangcheng",
    "drc_shangcheng",
    "fin_shangcheng",
    "tax_xihu",
    "city_approver",
    "fund_shangcheng",
    "fund_xihu",
    "policy_admin",
    "auditor",
]
APP_ACTIONS = [
    "submit",
    "withdraw",
    "resubmit",
    "accept",
    "return",
    "reject",
    "approve",
    "city_approve",
    "city_reject",
    "city_return",
    "submit_to_city",
]
STATE_CHANGING = set(TRANSITIONS) | {"create"}
REFUSED = (DomainError, ValidationError)
# The step that moves a case on toward approval, chosen 7 times in 11 by `drive`.
FORWARD = {
    State.DRAFT: "submit",
    State.SUBMITTED: "accept",
    State.DISTRICT_REVIEW: "approve",
    State.DISTRICT_APPROVED: "submit_to_city",
    State.CITY_REVIEW: "city_approve",
    State.RETURNED: "resubmit",
}
AWARD_FORWARD = {"claimable": "claim", "claimed": "pay", "paid": "recover", "recovering": "recovered"}
OPINION_PREFIX = {"tax": "tax", "market": "mkt", "drc": "drc", "finance": "fin", "stats": "stats"}


def build_machine(demo):
    round_ = demo.p14_round
    users = demo.users

    class Workflow(WorkflowInvariants, RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.savepoint = transaction.savepoint()
            self.apps: list[int] = []
            self.awards: list[int] = []
            self.transitions: Counter = Counter()  # expected state-changing history rows per case
            self.award_transitions: Counter = Counter()
            self.maxima: dict[tuple, Decimal | None] = {}  # assess(app).maximum per case version
            self.checked_at: int | None = None  # _rows_written() when the invariants last ran

        def _live(self) -> list[int]:
            return list(
                Application.objects.filter(pk__in=self.apps)
                .exclude(state__in=TERMINAL)
                .exclude(state=State.APPROVED, award__state__in=["forfeited", "recovered", "cancelled"])
                .order_by("pk")
                .values_list("pk", flat=True)
            )

        def teardown(self) -> None:
            transaction.savepoint_rollback(self.savepoint)

        @initialize()
        def nothing_yet(self) -> None:
            assert not Application.objects.filter(round=round_).exists()

        # --- enterprises -------------------------------------------------------------------

        @precondition(lambda self: len(self._live()) < 3)
        @rule(ent=st.sampled_from(ENTERPRISE_USERS), retail=st.sampled_from(["3250000000", "3100000000", "100"]))
        def create(self, ent: str, retail: str) -> None:
            user = users[ent]
            try:
                with transaction.atomic():
                    app = app_services.application_create(
                        actor=user, round_id=round_.pk, declared={"retail_sales_2022h2": retail}
                    )
                    for m in round_.item.materials:
                        app_services.material_upload(actor=user, application_id=app.pk, kind=m["kind"], upload=pdf())
            except REFUSED as exc:
                COVERAGE[f"create refused {getattr(exc, 'code', type(exc).__name__)}"] += 1
                return
            self.apps.append(app.pk)
            COVERAGE["created"] += 1

        # --- every transition, by anyone -------------------------------------------------------

        @precondition(lambda self: self.apps)
        @rule(
            index=st.integers(0, 20),
            who=st.sampled_from(ALL_USERS),
            action=st.sampled_from(APP_ACTIONS),
            amount=st.sampled_from(["suggested", "maximum", "above", "one", "zero"]),
            signed=st.booleans(),
            override=st.booleans(),
        )
        def act(self, index: int, who: str, action: str, amount: str, signed: bool, override: bool) -> None:
            self._act(self.apps[index % len(self.apps)], who, action, amount, signed, override)

        def _act(self, app_id: int, who: str, action: str, amount: str, signed: bool, override: bool) -> None:
            actor = users[who]
            before = Application.objects.get(pk=app_id)
            events_before = self._state_events(app_id)
            try:
                with transaction.atomic():
                    self._call(action, actor, before, amount, signed, override)
            except REFUSED as exc:
                after = Application.objects.get(pk=app_id)
                assert after.state == before.state, f"refused {action} changed the state"
                assert self._state_events(app_id) == events_before
                COVERAGE[f"refused {action}: {getattr(exc, 'code', None) or type(exc).__name__}"] += 1
                return
            after = Application.objects.get(pk=app_id)
            transition = TRANSITIONS[action]
            assert before.state in transition.sources, f"{action} succeeded from {before.state}"
            assert after.state == transition.target
            assert actor.role == transition.role, f"{who} ({actor.role}) performed {action}"
            self.transitions[app_id] += 1
            COVERAGE[after.state] += 1

        def _call(self, action: str, actor, app: Application, amount: str, signed: bool, override: bool) -> None:
            s, pk = app_services, app.pk
            if action == "submit":
                s.application_submit(actor=actor, application_id=pk, commitment_signed=signed)
            elif action == "withdraw":
                s.application_withdraw(actor=actor, application_id=pk, reason="撤回")
            elif action == "resubmit":
                s.application_resubmit(actor=actor, application_id=pk)
            elif action == "accept":
                s.application_accept(actor=actor, application_id=pk)
            elif action == "return":
                s.application_return(actor=actor, application_id=pk, reason="请补正")
            elif action == "reject":
                s.application_reject(actor=actor, application_id=pk, reason="不符合")
            elif action == "approve":
                s.application_approve(
                    actor=actor, application_id=pk, reason="采纳" if override else "", override=override
                )
            elif action == "city_approve":
                maximum = assess(app).maximum
                value = {
                    "suggested": app.suggested_amount,
                    "maximum": maximum,
                    "above": (maximum or Decimal(0)) + Decimal("0.01"),
                    "one": Decimal("1"),
                    "zero": Decimal("0"),
                }[amount]
                s.application_city_approve(actor=actor, application_id=pk, amount=value if value is not None else "1")
            elif action == "city_reject":
                s.application_city_reject(actor=actor, application_id=pk, reason="不符合")
            elif action == "city_return":
                s.application_city_return(actor=actor, application_id=pk, reason="请复核")
            elif action == "submit_to_city":
                city_list = city_list_create(actor=actor, round_id=app.round_id, application_ids=[pk])
                city_list_submit(actor=actor, city_list_id=city_list.pk)

        @precondition(lambda self: self.apps)
        @rule(index=st.integers(0, 20), who=st.sampled_from(ALL_USERS), agree=st.booleans())
        def opinion(self, index: int, who: str, agree: bool) -> None:
            self._opinion(self.apps[index % len(self.apps)], who, agree)

        def _opinion(self, app_id: int, who: str, agree: bool) -> None:
            state = Application.objects.get(pk=app_id).state
            try:
                with transaction.atomic():
                    opinion_create(
                        actor=users[who],
                        application_id=app_id,
                        decision="agree" if agree else "disagree",
                        remarks="" if agree else "不同意",
                    )
            except REFUSED:
                return
            assert users[who].role == Role.CO_REVIEWER and state == State.DISTRICT_REVIEW
            assert Application.objects.get(pk=app_id).state == state
            COVERAGE["opinion"] += 1

        @precondition(lambda self: self.apps)
        @rule(
            index=st.integers(0, 20),
            picks=st.lists(st.integers(0, 10), min_size=1, max_size=12),
            amount=st.sampled_from(["suggested", "maximum", "above"]),
        )
        def drive(self, index: int, picks: list[int], amount: str) -> None:
            """Up to 12 legal next steps of one live case (applications.workflow.actions_from),
            each by the user the table names for it: drives cases deep into the workflow."""
            live = self._live()
            if not live:
                return
            app_id = live[index % len(live)]
            for pick in picks:
                app = Application.objects.select_related("district").get(pk=app_id)
                if app.state == State.APPROVED:  # then 政策上线, claim, payment
                    award = Award.objects.filter(application_id=app.pk).first()
                    fund = f"fund_{app.district.code}"
                    if award is None:
                        self._publish(fund)
                    elif award.state in AWARD_FORWARD:
                        action = AWARD_FORWARD[award.state] if pick < 9 else "recover"
                        owner = next(u for u in ENTERPRISE_USERS if users[u].enterprise_id == award.enterprise_id)
                        self._award_act(award.pk, owner if action == "claim" else fund, action)
                    continue
                choices = [t for t in actions_from(app.state) if t.role != SYSTEM]
                if not choices:
                    return
                forward = [t for t in choices if t.action == FORWARD.get(app.state)]
                transition = forward[0] if forward and pick < 7 else choices[pick % len(choices)]
                if transition.action == "approve":
                    self._all_opinions(app.pk, disagree=False)
                who = {
                    "enterprise": next(u for u in ENTERPRISE_USERS if users[u].enterprise_id == app.enterprise_id),
                    "district_reviewer": f"rev_{app.district.code}",
                    "city_approver": "city_approver",
                }[transition.role]
                self._act(app.pk, who, transition.action, amount, True, False)

        @precondition(lambda self: self.apps)
        @rule(index=st.integers(0, 20), disagree=st.booleans())
        def all_opinions(self, index: int, disagree: bool) -> None:
            self._all_opinions(self.apps[index % len(self.apps)], disagree=disagree)

        def _all_opinions(self, app_id: int, *, disagree: bool) -> None:
            app = Application.objects.select_related("district", "item").get(pk=app_id)
            for n, function in enumerate(app.item.review_departments):
                name = f"{OPINION_PREFIX[function]}_{app.district.code}"
                if name in users:
                    self._opinion(app.pk, name, not (disagree and n == 0))

        # --- awards --------------------------------------------------------------------------------

        @precondition(lambda self: Application.objects.filter(pk__in=self.apps, state=State.APPROVED).exists())
        @rule(
            who=st.sampled_from(
                ["fund_shangcheng", "fund_xihu", "fund_shangcheng", "fund_xihu", "rev_shangcheng", "ent_a"]
            )
        )
        def publish(self, who: str) -> None:
            self._publish(who)

        def _publish(self, who: str) -> None:
            try:
                with transaction.atomic():
                    result = award_services.awards_publish(
                        actor=users[who], round_id=round_.pk, claim_deadline=timezone.now() + timedelta(days=30)
                    )
            except REFUSED:
                return
            assert users[who].role == Role.FUND_OFFICER
            COVERAGE["published"] += len(result.created)
            for award in result.created:
                assert award.application.state == State.APPROVED
                assert award.district_id == users[who].organisation.district_id
                self.awards.append(award.pk)
                self.award_transitions[award.pk] += 0
            for award in result.cancelled:
                self.award_transitions[award.pk] += 1

        @precondition(lambda self: self.awards)
        @rule(
            index=st.integers(0, 20),
            who=st.sampled_from(ALL_USERS),
            action=st.sampled_from(["claim", "pay", "recover", "recovered"]),
        )
        def award_act(self, index: int, who: str, action: str) -> None:
            self._award_act(self.awards[index % len(self.awards)], who, action)

        def _award_act(self, award_id: int, who: str, action: str) -> None:
            before = Award.objects.get(pk=award_id)
            actor = users[who]
            try:
                with transaction.atomic():
                    if action == "claim":
                        award_services.award_claim(actor=actor, award_id=award_id, commitment_signed=True)
                    elif action == "pay":
                        award_services.award_pay(actor=actor, award_id=award_id, reference=f"SM-{award_id}-{who}")
                    elif action == "recover":
                        award_services.award_recover(actor=actor, award_id=award_id, reason="统计违法")
                    else:
                        award_services.award_mark_recovered(actor=actor, award_id=award_id)
            except REFUSED:
                assert Award.objects.get(pk=award_id).state == before.state
                return
            after = Award.objects.get(pk=award_id)
            if action == "claim" and before.state == after.state:
                return  # claiming again is idempotent: no new history row
            transition = AWARD_TRANSITIONS[action]
            assert before.state in transition.sources and after.state == transition.target
            assert actor.role == transition.role
            self.award_transitions[award_id] += 1
            COVERAGE[f"award {after.state}"] += 1

        @precondition(lambda self: self.awards)
        @rule(
            index=st.integers(0, 20), action=st.sampled_from(["claim", "claim", "pay", "pay", "recover", "recovered"])
        )
        def award_drive(self, index: int, action: str) -> None:
            """The same, by the user the table names (the award's enterprise, its district's fund officer)."""
            award = Award.objects.select_related("district").get(pk=self.awards[index % len(self.awards)])
            if action == "claim":
                who = next(u for u in ENTERPRISE_USERS if users[u].enterprise_id == award.enterprise_id)
            else:
                who = f"fund_{award.district.code}"
            self._award_act(award.pk, who, action)

        # --- deadline jobs with the clock moved ahead ---------------------------------------------

        @rule(days=st.sampled_from([1, 40, 400]))
        def deadlines(self, days: int) -> None:
            from deadlines import jobs

            now = timezone.now() + timedelta(days=days)
            before = dict(Application.objects.filter(pk__in=self.apps).values_list("pk", "state"))
            award_before = dict(Award.objects.filter(pk__in=self.awards).values_list("pk", "state"))
            jobs.job_expire_drafts(now=now)
            jobs.job_expire_returned(now=now)
            jobs.job_forfeit_awards(now=now)
            for pk, state in Application.objects.filter(pk__in=self.apps).values_list("pk", "state"):
                if state != before[pk]:
                    assert before[pk] in TRANSITIONS["expire"].sources and state == State.EXPIRED
                    self.transitions[pk] += 1
            for pk, state in Award.objects.filter(pk__in=self.awards).values_list("pk", "state"):
                if state != award_before[pk]:
                    assert award_before[pk] == "claimable" and state == "forfeited"
                    self.award_transitions[pk] += 1

        def _state_events(self, app_id: int) -> int:
            """History rows that moved the case (recorded non-moves like opinions are left out)."""
            return (
                ApplicationEvent.objects.filter(application_id=app_id)
                .exclude(action="create")
                .exclude(from_state=F("to_state"))
                .count()
            )

    return Workflow


def test_workflow_state_machine_keeps_every_invariant(demo):
    machine = build_machine(demo)
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            derandomize=os.environ.get("HYPOTHESIS_DERANDOMIZE") == "1",
            database=None,
            suppress_health_check=list(HealthCheck),
            phases=[Phase.explicit, Phase.reuse, Phase.generate]
            if os.environ.get("HYPOTHESIS_NO_SHRINK")
            else [Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
        ),
    )
    reached = ", ".join(f"{k} {v}" for k, v in sorted(COVERAGE.items()))
    print(f"R4 state machine: {EXAMPLES} examples x up to {STEPS} steps, 0 invariant breaks; reached: {reached}")
    assert COVERAGE[State.APPROVED] > 0, f"no case reached 审定通过: the run explored too little ({COVERAGE})"
