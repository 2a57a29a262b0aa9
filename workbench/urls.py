from django.urls import path

from .views import case, city, funds, policy, queue

app_name = "workbench"
urlpatterns = [
    path("", queue.home, name="home"),
    path("cases/", queue.queue, name="cases"),
    path("batch/accept/", queue.batch_accept, name="batch-accept"),
    path("cases/<int:application_id>/", case.case_detail, name="case"),
    path("cases/<int:application_id>/accept/", case.case_accept, name="case-accept"),
    path("cases/<int:application_id>/return/", case.case_return, name="case-return"),
    path("cases/<int:application_id>/reject/", case.case_reject, name="case-reject"),
    path("cases/<int:application_id>/approve/", case.case_approve, name="case-approve"),
    path("cases/<int:application_id>/city-approve/", case.case_city_approve, name="case-city-approve"),
    path("cases/<int:application_id>/city-reject/", case.case_city_reject, name="case-city-reject"),
    path("cases/<int:application_id>/city-return/", case.case_city_return, name="case-city-return"),
    path("cases/<int:application_id>/opinion/", case.case_opinion, name="case-opinion"),
    path("city-lists/", city.city_lists, name="city-lists"),
    path("city-lists/assemble/", city.city_list_assemble, name="city-list-assemble"),
    path("city-lists/<int:city_list_id>/", city.city_list_detail, name="city-list"),
    path("city-lists/<int:city_list_id>/submit/", city.city_list_submit_view, name="city-list-submit"),
    path("publish/", funds.publish, name="publish"),
    path("awards/", funds.awards, name="awards"),
    path("awards/import/", funds.awards_import, name="awards-import"),
    path("awards/<int:award_id>/", funds.award_detail, name="award"),
    path("awards/<int:award_id>/pay/", funds.award_pay_view, name="award-pay"),
    path("awards/<int:award_id>/recover/", funds.award_recover_view, name="award-recover"),
    path("awards/<int:award_id>/recovered/", funds.award_recovered_view, name="award-recovered"),
    path("dishonesty/", funds.dishonesty, name="dishonesty"),
    path("dishonesty/<int:entry_id>/end/", funds.dishonesty_end, name="dishonesty-end"),
    path("policies/", policy.policies_index, name="policies"),
    path("policies/items/<int:item_id>/", policy.policy_item, name="policy-item"),
    path("policies/rounds/new/", policy.round_new, name="round-new"),
    path("policies/rounds/<int:round_id>/edit/", policy.round_edit, name="round-edit"),
    path("policies/rounds/<int:round_id>/open-now/", policy.round_open, name="round-open"),
    path("policies/rounds/<int:round_id>/close-now/", policy.round_close, name="round-close"),
]
