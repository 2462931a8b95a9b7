"""The floor's two statements (bench/floor_twiml_app.py), frozen.

Copied from bot/store.py's `_LOCK` and `_SAVE` as they were when issue 19 measured the
floor (before the reply's save also wrote the message's ticket_id), not imported: the
floor is the yardstick the webhook is held to, so a change to the webhook's own SQL
must not move it. (Importing them had already broken it once: the save gained a
parameter the floor does not pass, and every floor request failed.)
"""

# Lock the conversation (an upsert), store the inbound message, read the category
# fingerprint and the user: one round trip.
LOCK = """
WITH locked AS (
    INSERT INTO conversations (address, locale, channel)
    VALUES (%(address)s, %(locale)s, %(channel)s)
    ON CONFLICT (address) DO UPDATE SET address = excluded.address
    RETURNING id, user_id, state, context, version, locale, misses, expires_at,
        xmax = 0 AS created
), stored AS (
    INSERT INTO messages (twilio_sid, direction, channel, address, kind, body, media,
                          status, reply, user_id, locale)
    SELECT %(sid)s, 'inbound', %(channel)s, %(address)s, 'chat', %(body)s, %(media)s,
           'received', %(reply)s, l.user_id, l.locale
    FROM locked l
    ON CONFLICT (twilio_sid) DO NOTHING
    RETURNING id
), current AS (
    SELECT EXISTS (
        SELECT FROM conversations c, locked l WHERE c.id = l.id AND c.version = l.version
    ) AS user_read
)
SELECT l.id, l.user_id, l.state, l.context, l.version, l.locale, l.misses, l.expires_at,
    (SELECT id FROM stored),
    (SELECT md5(string_agg(c::text, ',' ORDER BY c.id)) FROM categories c WHERE c.is_active),
    current.user_read, l.created, u.id, u.consent_at, u.opted_out_at, u.erased_at
FROM locked l CROSS JOIN current
LEFT JOIN users u ON current.user_read
    AND (u.id = l.user_id OR (l.user_id IS NULL AND u.phone = %(phone)s))
"""

# The conversation's next state and the reply on the inbound message: one round trip.
SAVE = """
WITH saved_conversation AS (
    UPDATE conversations SET state = %(state)s, context = %(context)s, misses = %(misses)s,
        locale = %(locale)s, channel = %(channel)s, last_inbound_at = %(last_inbound_at)s,
        expires_at = %(expires_at)s, user_id = coalesce(%(user_id)s, user_id),
        version = version + 1, updated_at = now()
    WHERE id = %(conversation_id)s
)
UPDATE messages SET reply = %(reply)s, locale = %(message_locale)s,
    user_id = CASE WHEN %(set_user)s THEN %(user_id)s ELSE user_id END
WHERE id = %(message_id)s
"""
