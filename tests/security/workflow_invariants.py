"""The invariants of the R4 workflow state machine (tests/security/test_workflow_state_machine.py),
as a mixin of its RuleBasedStateMachine: every history row an edge of the tables, terminal states
absorbing, one history and one audit row per transition, amounts within the rule, separation of
duties, awards paid at most once. The machine keeps the counters they compare with (`apps`,
`awards`, `transitions`, `award_transitions`, `maxima`, `checked_at`).
"""

from collections import Counter
from decimal import Decimal

from django.db import connection
from django.db.models import Count, F
from hypothesis.stateful import invariant

from applications.models import Application, ApplicationEvent
from applications.rules import assess
from applications.workflow import TERMINAL, TRANSITIONS, State
from awards.models import Award, AwardEvent
from awards.workflow import TERMINAL as AWARD_TERMINAL
from reviews.models import Opinion
from security.models import AuditLog

COVERAGE: Counter = Counter()  # what the runs reached (printed at the end of the test)


class WorkflowInvariants:
    apps: list[int]
    awards: list[int]
    transitions: Counter
    award_transitions: Counter
    maxima: dict[tuple, Decimal | None]
    checked_at: int | None

    # --- invariants -------------------------------------------------------------------------------
    # Checked after every step that wrote to the database. Each check reads every case (or award)
    # of the run in one or two queries, not a few per case: R4's budget (500 examples x 50 steps,
    # scripts/ci.sh) runs them up to 25,000 times.

    def _rows_written(self) -> int | None:
        """Rows inserted, updated or deleted so far in the test's transaction (PostgreSQL keeps
        the count live in pg_stat_xact_user_tables; rolled-back savepoints still count), or
        None where there is no such count."""
        if connection.vendor != "postgresql":
            return None
        with connection.cursor() as cursor:
            cursor.execute("SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_xact_user_tables")
            return int(cursor.fetchone()[0])

    @invariant()
    def every_invariant_holds(self) -> None:
        """The checks below are functions of the database and of this machine's counters, which
        change only when a step writes: after a step that wrote nothing (a refused action, a
        deadline run with nothing due) they would read exactly what passed before."""
        written = self._rows_written()
        if written is not None and written == self.checked_at:
            COVERAGE["invariants unchanged"] += 1
            return
        self.history_is_a_legal_chain_and_terminal_states_absorb()
        self.exactly_one_history_row_per_transition()
        self.one_audit_row_per_transition_on_postgres()
        self.amounts_never_above_the_rule_and_separation_of_duties()
        self.awards_paid_at_most_once_and_terminal_absorb()
        self.checked_at = written
        COVERAGE["invariants checked"] += 1

    def history_is_a_legal_chain_and_terminal_states_absorb(self) -> None:
        chains: dict[int, list[ApplicationEvent]] = {pk: [] for pk in self.apps}
        for event in ApplicationEvent.objects.filter(application_id__in=self.apps).order_by("at", "id"):
            chains[event.application_id].append(event)
        states = dict(Application.objects.filter(pk__in=self.apps).values_list("pk", "state"))
        for app_id, events in chains.items():
            assert events[0].action == "create" and events[0].to_state == State.DRAFT
            state = State.DRAFT
            for event in events[1:]:
                if event.from_state == event.to_state:  # recorded actions that are not moves
                    continue
                assert state not in TERMINAL, f"case #{app_id} left terminal state {state}"
                transition = TRANSITIONS[event.action]
                assert event.from_state == state and state in transition.sources, (app_id, event.action)
                assert event.to_state == transition.target
                state = event.to_state
            assert states[app_id] == state

    def exactly_one_history_row_per_transition(self) -> None:
        moves = dict(
            ApplicationEvent.objects.filter(application_id__in=self.apps)
            .exclude(action="create")
            .exclude(from_state=F("to_state"))
            .values("application_id")
            .annotate(n=Count("id"))
            .values_list("application_id", "n")
        )
        for app_id in self.apps:
            assert moves.get(app_id, 0) == self.transitions[app_id], app_id
        award_moves = dict(
            AwardEvent.objects.filter(award_id__in=self.awards)
            .exclude(action="publish")
            .values("award_id")
            .annotate(n=Count("id"))
            .values_list("award_id", "n")
        )
        for award_id in self.awards:
            assert award_moves.get(award_id, 0) == self.award_transitions[award_id], award_id

    def one_audit_row_per_transition_on_postgres(self) -> None:
        if connection.vendor != "postgresql":
            return
        rows = dict(
            AuditLog.objects.filter(
                table_name="applications_application", row_id__in=self.apps, op="UPDATE", new__has_key="state"
            )
            .values("row_id")
            .annotate(n=Count("id"))
            .values_list("row_id", "n")
        )
        for app_id in self.apps:
            assert rows.get(app_id, 0) == self.transitions[app_id], app_id

    def amounts_never_above_the_rule_and_separation_of_duties(self) -> None:
        decided = []
        for app in Application.objects.filter(pk__in=self.apps).select_related("item", "enterprise"):
            if app.amount is not None:
                key = (app.pk, app.amount, app.updated_at)
                if key not in self.maxima:  # assess() is pure in the case's data: once per version
                    self.maxima[key] = assess(app).maximum
                maximum = self.maxima[key]
                assert app.amount > 0 and (maximum is None or app.amount <= maximum), (app.pk, app.amount)
            if app.city_approver_id:
                assert app.city_approver_id != app.district_reviewer_id
                decided.append(app.pk)
        if not decided:
            return
        # applications.permissions.acted_at_district_stage(app.city_approver, app), for every
        # decided case at once: no district-stage history row and no opinion by its city approver.
        approver = F("application__city_approver_id")
        district_actions = ("accept", "return", "reject", "approve", "submit_to_city", "override")
        acted = ApplicationEvent.objects.filter(
            application_id__in=decided, actor_id=approver, action__in=district_actions
        ).values_list("application_id", flat=True)
        assert not acted, f"city approver acted at the district stage of {sorted(set(acted))}"
        opined = Opinion.objects.filter(application_id__in=decided, officer_id=approver)
        assert not opined.exists(), "city approver gave a co-review opinion on a case they decided"

    def awards_paid_at_most_once_and_terminal_absorb(self) -> None:
        histories: dict[int, list[AwardEvent]] = {pk: [] for pk in self.awards}
        for event in AwardEvent.objects.filter(award_id__in=self.awards).order_by("at", "id"):
            histories[event.award_id].append(event)
        for award in Award.objects.filter(pk__in=self.awards).select_related("claimed_by"):
            history = histories[award.pk]
            assert sum(1 for e in history if e.action == "pay") <= 1
            seen_terminal = False
            for event in history:
                assert not seen_terminal, f"award #{award.pk} left a terminal state"
                seen_terminal = event.to_state in AWARD_TERMINAL
            if award.state == "claimed":
                assert award.claimed_by.enterprise_id == award.enterprise_id
