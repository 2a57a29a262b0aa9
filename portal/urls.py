from django.urls import path

from .views import awards, cases, enterprise, inbox, market

app_name = "portal"
urlpatterns = [
    path("", market.home, name="home"),
    path("policies/<int:item_id>/", market.policy_detail, name="policy"),
    path("my/enterprise/", enterprise.profile, name="enterprise"),
    path("my/enterprise/users/", enterprise.colleagues, name="colleagues"),
    path("my/applications/", cases.application_list_view, name="applications"),
    path("my/applications/new/<int:round_id>/", cases.apply_start, name="apply"),
    path("my/applications/<int:application_id>/", cases.case_detail, name="case"),
    path("my/applications/<int:application_id>/figures/", cases.case_figures, name="case-figures"),
    path("my/applications/<int:application_id>/materials/", cases.case_materials, name="case-materials"),
    path("my/applications/<int:application_id>/check/", cases.case_check, name="case-check"),
    path("my/applications/<int:application_id>/submit/", cases.case_submit, name="case-submit"),
    path("my/applications/<int:application_id>/withdraw/", cases.case_withdraw, name="case-withdraw"),
    path("applications/<int:application_id>/", cases.case_link, name="case-link"),
    path("my/awards/", awards.award_list_view, name="awards"),
    path("awards/<int:award_id>/", awards.award_detail, name="award"),
    path("inbox/", inbox.inbox, name="inbox"),
    path("inbox/<int:notification_id>/", inbox.notification_open, name="notification"),
    path("inbox/read-all/", inbox.inbox_read_all, name="inbox-read-all"),
]
