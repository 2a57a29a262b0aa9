"""The forfeiture sweep done set-based inside PostgreSQL: what deadlines.jobs.job_forfeit_awards
could become (P3's proposal; the exact diff is in bench/README.md).

Same contract as the job: batches of `size` ids in id order, each batch one transaction that
locks its rows (`FOR UPDATE SKIP LOCKED`), moves them claimable → forfeited with the state guard
in the WHERE, writes one AwardEvent per award (actor empty = 系统, the same Chinese reason and
`extra`), one Notification per active enterprise user not already told (the `notification_dedupe`
unique index decides, `ON CONFLICT DO NOTHING`), and queues one e-mail task per batch after
commit. The difference: the rows never travel to Python and back; one statement per batch.
"""

from datetime import datetime

from django.db import connection, transaction

SHANGHAI = "Asia/Shanghai"
# deadline_text(): the deadline as officials write it (2023年01月31日 24:00 for a midnight deadline).
_DEADLINE_TEXT = (
    f"CASE WHEN (d.claim_deadline AT TIME ZONE '{SHANGHAI}')::time = '00:00' "
    f"THEN to_char((d.claim_deadline AT TIME ZONE '{SHANGHAI}') - interval '1 day', 'YYYY\"年\"MM\"月\"DD\"日\"') "
    "|| ' 24:00' "
    f'ELSE to_char(d.claim_deadline AT TIME ZONE \'{SHANGHAI}\', \'YYYY"年"MM"月"DD"日" HH24:MI\') END'
)
_ISO_UTC = (
    "to_char(d.claim_deadline AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') "
    "|| CASE WHEN extract(microseconds FROM d.claim_deadline)::bigint %% 1000000 = 0 THEN '' "
    "ELSE to_char(d.claim_deadline AT TIME ZONE 'UTC', '.US') END || '+00:00'"
)

FORFEIT_BATCH_SQL = f"""
WITH due AS (
    SELECT id FROM awards_award
    WHERE state = 'claimable' AND claim_deadline <= %(now)s AND id > %(last)s
    ORDER BY id LIMIT %(size)s
    FOR UPDATE SKIP LOCKED
), done AS (
    UPDATE awards_award w SET state = 'forfeited', updated_at = now()
    FROM due WHERE w.id = due.id AND w.state = 'claimable'
    RETURNING w.id, w.enterprise_id, w.item_id, w.amount, w.claim_deadline
), told AS (
    SELECT d.*, '申领期限（' || {_DEADLINE_TEXT} || '）已过，未如期申领，视为自动放弃，不再享受此项政策。' AS reason,
           {_ISO_UTC} AS deadline_iso
    FROM done d
), events AS (
    INSERT INTO awards_awardevent (award_id, actor_id, action, from_state, to_state, reason, at, extra)
    SELECT t.id, NULL, 'forfeit', 'claimable', 'forfeited', t.reason, now(),
           jsonb_build_object('job', 'forfeit_awards', 'as_of', %(as_of)s::text, 'deadline', t.deadline_iso)
    FROM told t ORDER BY t.id
), notes AS (
    INSERT INTO notifications_notification (user_id, kind, title, body, link, dedupe_key, created_at)
    SELECT u.id, 'forfeited',
           left('“' || i.name || '”奖励 ' || to_char(t.amount, 'FM999,999,999,999,990.00') || ' 元逾期未申领', 255),
           t.reason, '/awards/' || t.id || '/', 'forfeited:' || t.id, now()
    FROM told t
    JOIN accounts_user u ON u.enterprise_id = t.enterprise_id AND u.role = 'enterprise' AND u.is_active
    JOIN policies_policyitem i ON i.id = t.item_id
    ORDER BY t.id, u.id
    ON CONFLICT (user_id, dedupe_key) WHERE dedupe_key <> '' DO NOTHING
    RETURNING id
)
SELECT (SELECT max(id) FROM due), (SELECT count(*) FROM due), (SELECT count(*) FROM done),
       (SELECT coalesce(array_agg(id), '{{}}') FROM notes)
"""


def forfeit_awards_set_based(*, now: datetime, size: int = 5000) -> int:
    """claimable awards with claim_deadline <= now → forfeited, with history and notices.
    Returns how many awards changed."""
    from notifications.tasks import send_notification_emails

    last, total = 0, 0
    while True:
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(FORFEIT_BATCH_SQL, {"now": now, "last": last, "size": size, "as_of": now.isoformat()})
            max_id, locked, changed, note_ids = cur.fetchone()
            if not locked:
                return total
            if changed != locked:
                raise RuntimeError(f"期限任务：锁定 {locked} 行，实际更新 {changed} 行；本批次已回滚。")
            last, total = max_id, total + changed
            if note_ids:
                transaction.on_commit(lambda ids=list(note_ids): send_notification_emails.delay(ids))
