"""The one file-download path for materials: access-checked, served as an attachment."""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse

from accounts.models import User
from common.errors import Conflict, NotFound

from .models import Material, ScanStatus
from .selectors import access_application_by_id

INLINE_TYPES = {"application/pdf", "image/png", "image/jpeg"}


def material_response(*, user: User, application_id: int, material_id: int, inline: bool = False) -> FileResponse:
    """The file of one material of a case the user may see; NotFound otherwise, Conflict (409)
    for a file the antivirus scan found infected.

    Served with Content-Disposition (attachment unless an inline preview of a PDF or image was
    asked for), nosniff, and no caching by shared caches.
    """
    application = access_application_by_id(user=user, application_id=application_id)
    material = Material.objects.filter(pk=material_id, application=application).first()
    if material is None:
        raise NotFound()
    if material.scan_status == ScanStatus.INFECTED:  # R14: never served, not even inline
        raise Conflict(
            f"材料“{material.original_name}”未通过病毒扫描，已被隔离，不能下载或预览。请企业重新上传该材料。",
            code="material_infected",
        )
    show_inline = inline and material.content_type in INLINE_TYPES
    response = FileResponse(
        material.file.open("rb"),
        as_attachment=not show_inline,
        filename=f"{material.kind}-v{material.version}.{material.storage_key.rsplit('.', 1)[-1]}",
        content_type=material.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    if show_inline:
        response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; object-src 'self'; sandbox"
        # The workbench case page previews PDFs in a same-origin <iframe>; the site default is DENY.
        response["X-Frame-Options"] = "SAMEORIGIN"
    return response


@login_required
def material_download(request: HttpRequest, application_id: int, material_id: int) -> FileResponse | HttpResponse:
    try:
        return material_response(
            user=request.user,  # type: ignore[arg-type]  # login_required: never anonymous
            application_id=application_id,
            material_id=material_id,
            inline=request.GET.get("inline") == "1",
        )
    except NotFound:
        raise Http404("未找到该材料，或您无权查看。") from None
    except Conflict as exc:
        return HttpResponse(exc.message, status=exc.status_code, content_type="text/plain; charset=utf-8")
