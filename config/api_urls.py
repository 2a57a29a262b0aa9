"""Every REST route of SPEC §9, gathered under /api/v1/."""

from django.urls import path

from accounts.apis import TokenApi
from applications import apis as app_apis
from awards import apis as award_apis
from awards import auto_apis
from enterprises.apis import EnterpriseMeApi
from policies import apis as policy_apis
from reviews import apis as review_apis

A = "applications/<int:application_id>"

urlpatterns = [
    path("auth/token/", TokenApi.as_view(), name="api-token"),
    path("policies/", policy_apis.PolicyListApi.as_view(), name="api-policies"),
    path("policies/<int:policy_id>/", policy_apis.PolicyDetailApi.as_view(), name="api-policy"),
    path("rounds/", policy_apis.RoundListCreateApi.as_view(), name="api-rounds"),
    path("rounds/<int:round_id>/", policy_apis.RoundDetailApi.as_view(), name="api-round"),
    path("rounds/<int:round_id>/publish-awards/", award_apis.RoundPublishAwardsApi.as_view(), name="api-round-publish"),
    path("enterprises/me/", EnterpriseMeApi.as_view(), name="api-enterprise-me"),
    path("applications/", app_apis.ApplicationListCreateApi.as_view(), name="api-applications"),
    path(f"{A}/", app_apis.ApplicationDetailApi.as_view(), name="api-application"),
    path(f"{A}/history/", app_apis.ApplicationHistoryApi.as_view(), name="api-application-history"),
    path(f"{A}/materials/", app_apis.MaterialUploadApi.as_view(), name="api-application-materials"),
    path(
        f"{A}/materials/<int:material_id>/download/",
        app_apis.MaterialDownloadApi.as_view(),
        name="api-material-download",
    ),
    path(f"{A}/materials/reuse/", app_apis.MaterialReuseApi.as_view(), name="api-application-material-reuse"),
    path(f"{A}/opinions/", review_apis.OpinionListCreateApi.as_view(), name="api-application-opinions"),
    path(f"{A}/submit/", app_apis.ApplicationSubmitApi.as_view(), name="api-application-submit"),
    path(f"{A}/withdraw/", app_apis.ApplicationWithdrawApi.as_view(), name="api-application-withdraw"),
    path(f"{A}/accept/", app_apis.ApplicationAcceptApi.as_view(), name="api-application-accept"),
    path(f"{A}/return/", app_apis.ApplicationReturnApi.as_view(), name="api-application-return"),
    path(f"{A}/resubmit/", app_apis.ApplicationResubmitApi.as_view(), name="api-application-resubmit"),
    path(f"{A}/reject/", app_apis.ApplicationRejectApi.as_view(), name="api-application-reject"),
    path(f"{A}/approve/", app_apis.ApplicationApproveApi.as_view(), name="api-application-approve"),
    path(f"{A}/city-approve/", app_apis.ApplicationCityApproveApi.as_view(), name="api-application-city-approve"),
    path(f"{A}/city-reject/", app_apis.ApplicationCityRejectApi.as_view(), name="api-application-city-reject"),
    path(f"{A}/city-return/", app_apis.ApplicationCityReturnApi.as_view(), name="api-application-city-return"),
    path("city-lists/", review_apis.CityListListCreateApi.as_view(), name="api-city-lists"),
    path("city-lists/<int:city_list_id>/", review_apis.CityListDetailApi.as_view(), name="api-city-list"),
    path("city-lists/<int:city_list_id>/submit/", review_apis.CityListSubmitApi.as_view(), name="api-city-list-submit"),
    path("auto-grants/", auto_apis.AutoBatchCreateApi.as_view(), name="api-auto-grants"),
    path("auto-grants/<int:batch_id>/", auto_apis.AutoBatchDetailApi.as_view(), name="api-auto-grant"),
    path("auto-grants/<int:batch_id>/approve/", auto_apis.AutoBatchApproveApi.as_view(), name="api-auto-grant-approve"),
    path("awards/", award_apis.AwardListApi.as_view(), name="api-awards"),
    path("awards/<int:award_id>/", award_apis.AwardDetailApi.as_view(), name="api-award"),
    path("awards/<int:award_id>/history/", award_apis.AwardHistoryApi.as_view(), name="api-award-history"),
    path("awards/<int:award_id>/claim/", award_apis.AwardClaimApi.as_view(), name="api-award-claim"),
    path("awards/<int:award_id>/pay/", award_apis.AwardPayApi.as_view(), name="api-award-pay"),
    path("awards/<int:award_id>/recover/", award_apis.AwardRecoverApi.as_view(), name="api-award-recover"),
    path("awards/<int:award_id>/recovered/", award_apis.AwardRecoveredApi.as_view(), name="api-award-recovered"),
]
