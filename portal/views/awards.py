"""我的奖励: claimable awards with their deadline, the claim with its 承诺书, paid and closed ones."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render

from applications.commitments import CLAIM_COMMITMENT
from awards.permissions import can_claim_award
from awards.selectors import award_history, award_list
from awards.services import award_claim
from awards.workflow import AwardState
from common.errors import DomainError
from portal.forms import ClaimForm

from .shared import PortalRequest, enterprise_required, get_award, posted

ORDER: dict[str, int] = {AwardState.CLAIMABLE: 0, AwardState.CLAIMED: 1, AwardState.PAID: 2, AwardState.RECOVERING: 3}


@enterprise_required
def award_list_view(request: PortalRequest) -> HttpResponse:
    awards = list(award_list(user=request.user).select_related("round", "application"))
    # Claimable first, the nearest deadline first; then by stage, newest first.
    awards.sort(
        key=lambda a: (
            ORDER.get(a.state, 9),
            a.claim_deadline.timestamp() if a.state == AwardState.CLAIMABLE else 0,
            -a.pk,
        )
    )
    groups = [
        ("待申领", [a for a in awards if a.state == AwardState.CLAIMABLE]),
        ("已申领，待拨付", [a for a in awards if a.state == AwardState.CLAIMED]),
        ("已兑现", [a for a in awards if a.state in (AwardState.PAID, AwardState.RECOVERING, AwardState.RECOVERED)]),
        ("已作废或逾期放弃", [a for a in awards if a.state in (AwardState.CANCELLED, AwardState.FORFEITED)]),
    ]
    return render(request, "portal/awards.html", {"groups": groups, "total": len(awards)})


@enterprise_required
def award_detail(request: PortalRequest, award_id: int) -> HttpResponse:
    award = get_award(request, award_id)
    may_claim = award.state == AwardState.CLAIMABLE and can_claim_award(request.user, award)[0]
    form = ClaimForm(posted(request))
    if request.method == "POST" and may_claim and form.is_valid():
        try:
            award_claim(
                actor=request.user,
                award_id=award.pk,
                commitment_signed=form.cleaned_data["signed"],
                bank_account_confirmed=form.cleaned_data["bank_confirmed"],
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "申领成功。属地财政部门拨付后，您会收到兑现通知。")
            return redirect("portal:award", award_id=award.pk)
    ent = award.enterprise
    history = list(award_history(award=award).select_related("actor__organisation"))
    forfeit_reason = next((e.reason for e in reversed(history) if e.action == "forfeit"), "")
    return render(
        request,
        "portal/award_detail.html",
        {
            "award": award,
            "form": form,
            "may_claim": may_claim,
            "commitment": CLAIM_COMMITMENT,
            "bank_ready": bool(ent.bank_name and ent.bank_account_name and ent.bank_account_no),
            "enterprise": ent,
            "history": history,
            "forfeit_reason": forfeit_reason,
        },
    )
